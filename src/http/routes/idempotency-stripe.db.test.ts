import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../../test/helpers/test-server.ts";
import { issueInvoices } from "../../billing/payments/testing/invoice-fixtures.ts";
import {
  type FakeStripe,
  signedWebhook,
  startFakeStripe,
} from "../../billing/providers/testing/fake-stripe.ts";
import { createCustomers } from "../../billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";

// Idempotency-Key where money goes back through Stripe: a credit note's card refund runs after the note
// commits, a payment's refund between a reservation and its link. A replay asks Stripe nothing again, and
// Stripe's refusal is kept as the key's answer, so a retry cannot reach Stripe a second time either.

const KEY = "sk_test_idem_0123456789";
const WHSEC = "whsec_idem_0123456789";

let handle: DatabaseHandle;
let fake: FakeStripe;
let server: TestServer;
let customer: bigint;

beforeAll(async () => {
  handle = await createTestDatabase();
  fake = await startFakeStripe({ secretKey: KEY });
  server = await startTestServer(handle.db, {
    STRIPE_SECRET_KEY: KEY,
    STRIPE_WEBHOOK_SECRET: WHSEC,
    STRIPE_API_URL: fake.url,
  });
  [customer] = (await createCustomers(handle, [{ email: "card@example.com" }])) as [bigint];
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
  await handle?.close();
});

async function post(path: string, body: unknown, key: string) {
  const response = await fetch(server.url + path, {
    method: "POST",
    headers: {
      authorization: `Bearer ${TEST_ADMIN_KEY}`,
      "content-type": "application/json",
      "idempotency-key": key,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    body: JSON.parse(text),
    replayed: response.headers.get("idempotent-replayed"),
    retryAfter: response.headers.get("retry-after"),
  };
}

/** An issued invoice of `total` paid in full through Checkout, and its payment's id. */
async function paidByCard(total: bigint) {
  const [invoice] = (await issueInvoices(handle.db, [{ customerId: customer, total }])) as [string];
  const checkout = await server.api("POST", `/api/v1/invoices/${invoice}/checkout`);
  const { body, headers } = signedWebhook(fake.completeSession(checkout.body.data.id), WHSEC);
  expect((await fetch(`${server.url}/webhooks/stripe`, { method: "POST", headers, body })).status).toBe(200);
  const payment = await handle.db
    .selectFrom("payment")
    .select(["id", "reference"])
    .where("invoice_id", "=", invoice)
    .executeTakeFirstOrThrow();
  return { invoice, payment };
}

const stripeRefundCalls = () =>
  fake.requests.filter((r) => r.method === "POST" && r.path === "/v1/refunds").length;
const refundRows = (paymentId: string) =>
  handle.db
    .selectFrom("refund")
    .select(["id", "amount", "status"])
    .where("payment_id", "=", paymentId)
    .execute();

describe("Idempotency-Key and Stripe", () => {
  it("replays a credit note whose card refund ran after commit without asking Stripe again", async () => {
    const { invoice, payment } = await paidByCard(500n);
    const path = `/api/v1/invoices/${invoice}/credit-notes`;
    const body = { amount: 100, reason: "outage", settlement: "refund" };
    const calls = stripeRefundCalls();
    const first = await post(path, body, "cn-card-1");
    expect(first.status).toBe(201);
    expect(stripeRefundCalls()).toBe(calls + 1);
    const again = await post(path, body, "cn-card-1");
    expect([again.status, again.text, again.replayed]).toEqual([201, first.text, "true"]);
    expect(stripeRefundCalls()).toBe(calls + 1);
    expect(await refundRows(payment.id)).toHaveLength(1);
  });

  it("replays a refund through Stripe, and two at once with one key reach Stripe once", async () => {
    const { payment } = await paidByCard(600n);
    const path = `/api/v1/payments/${payment.id}/refunds`;
    const calls = stripeRefundCalls();
    const first = await post(path, { amount: 200 }, "ref-card-1");
    expect(first.status).toBe(201);
    const again = await post(path, { amount: 200 }, "ref-card-1");
    expect([again.status, again.text, again.replayed]).toEqual([201, first.text, "true"]);
    expect(stripeRefundCalls()).toBe(calls + 1);

    const answers = await Promise.all([1, 2].map(() => post(path, { amount: 100 }, "ref-card-race")));
    // The second either waited for the first's reservation and found the key in flight (409), or came after
    // the answer and was given it: never a second reservation.
    for (const a of answers) expect([201, 409]).toContain(a.status);
    expect(answers.filter((a) => a.status === 201 && a.replayed === null)).toHaveLength(1);
    const conflict = answers.find((a) => a.status === 409);
    if (conflict) expect(conflict.body.error.message).toContain("still being processed");
    expect(stripeRefundCalls()).toBe(calls + 2);
    expect((await refundRows(payment.id)).map((r) => r.amount)).toEqual([200n, 100n]);
  });

  it("keeps Stripe's refusal as the key's answer: a retry is told the same and Stripe is not asked again", async () => {
    const { payment } = await paidByCard(300n);
    // Refunded in Stripe's Dashboard without tokenbill hearing of it yet: Stripe refuses another refund.
    fake.refunds.set("re_idem_elsewhere", {
      id: "re_idem_elsewhere",
      object: "refund",
      amount: 300,
      currency: "usd",
      payment_intent: payment.reference,
      status: "succeeded",
      reason: null,
      metadata: {},
      created: Math.floor(Date.now() / 1000),
    });
    const path = `/api/v1/payments/${payment.id}/refunds`;
    const first = await post(path, { amount: 300 }, "ref-refused");
    expect([first.status, first.body.error.code]).toEqual([409, "CONFLICT"]);
    const calls = stripeRefundCalls();
    const again = await post(path, { amount: 300 }, "ref-refused");
    expect([again.status, again.text, again.replayed]).toEqual([409, first.text, "true"]);
    expect(stripeRefundCalls()).toBe(calls);
    expect((await refundRows(payment.id)).map((r) => r.status)).toEqual(["failed"]);
  });

  it("replays Stripe's 503 with its Retry-After, as first answered, and does not ask Stripe again", async () => {
    const { payment } = await paidByCard(400n);
    const path = `/api/v1/payments/${payment.id}/refunds`;
    fake.refundsFailWith = 500;
    try {
      const first = await post(path, { amount: 400 }, "ref-stripe-down");
      expect([first.status, first.body.error.code, first.retryAfter]).toEqual([
        503,
        "UPSTREAM_UNAVAILABLE",
        "5",
      ]);
      const calls = stripeRefundCalls();
      // Kept: the call may have reached Stripe, so the key must not ask again (a new key asks again).
      const again = await post(path, { amount: 400 }, "ref-stripe-down");
      expect([again.status, again.text, again.replayed, again.retryAfter]).toEqual([
        503,
        first.text,
        "true",
        "5",
      ]);
      expect(stripeRefundCalls()).toBe(calls);
    } finally {
      fake.refundsFailWith = null;
    }
  });
});
