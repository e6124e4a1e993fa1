import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../../test/helpers/test-server.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { type IdempotencyRequest, requestHash } from "../../kernel/idempotency.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { invoiceAmountDue } from "../ledger/ledger.ts";
import { claimIdempotencyKey, linkIdempotencyKeyToRefund } from "../payments/idempotency-key.ts";
import { recordRefundIn, refundedSoFar } from "../payments/refund-payment.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { type FakeStripe, signedWebhook, startFakeStripe } from "./testing/fake-stripe.ts";

// A refund reservation whose provider call never ran (the process died between reserving the pending row
// and asking Stripe) held its amount for good. Releasing it asks Stripe first: a refund Stripe made for it is
// linked and settled as the webhook would; none, and the reservation fails and frees its amount. A client's
// Idempotency-Key left waiting on it is answered, or freed, with it.

const KEY = "sk_test_release_0123456789";
const WHSEC = "whsec_release_0123456789";
const STRIPE = { STRIPE_SECRET_KEY: KEY, STRIPE_WEBHOOK_SECRET: WHSEC };

let handle: DatabaseHandle;
let fake: FakeStripe;
let server: TestServer;
let customer: bigint;

beforeAll(async () => {
  handle = await createTestDatabase();
  fake = await startFakeStripe({ secretKey: KEY });
  server = await startTestServer(handle.db, { ...STRIPE, STRIPE_API_URL: fake.url });
  [customer] = (await createCustomers(handle, [{ email: "release@example.com" }])) as [bigint];
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
  await handle?.close();
});

const HOUR = 3_600_000;
/** The context of the process that reserved and died: its clock an hour back, so the reservation is old. */
const pastContext = (): ServiceContext => ({
  db: handle.db,
  config: parseConfig({ LOG_LEVEL: "silent", ...STRIPE, STRIPE_API_URL: fake.url }),
  logger: pino({ level: "silent" }),
  actor: actors.envKey(),
  now: () => new Date(Date.now() - HOUR),
});

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

/** What the dead process left: a pending reservation, and the key of the API request that made it, unanswered. */
async function strandedReservation(paymentId: string, amount: bigint, key?: string) {
  const idempotency: IdempotencyRequest | undefined = key
    ? {
        scope: "env-admin-key",
        key,
        requestHash: requestHash(
          "POST",
          "/api/v1/payments/{id}/refunds",
          { id: paymentId },
          { amount, reason: "" },
        ),
        successStatus: 201,
        errorAnswer: () => ({ status: 500, body: "{}" }),
      }
    : undefined;
  return withTransaction(pastContext(), async (tx) => {
    await claimIdempotencyKey(tx, idempotency);
    const refund = await recordRefundIn(tx.db, tx, { payment_id: paymentId, amount, status: "pending" });
    await linkIdempotencyKeyToRefund(tx, idempotency, refund.id);
    return refund;
  });
}

async function post(path: string, body?: unknown, key?: string) {
  const response = await fetch(server.url + path, {
    method: "POST",
    headers: {
      authorization: `Bearer ${TEST_ADMIN_KEY}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(key ? { "idempotency-key": key } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: JSON.parse(text),
    replayed: response.headers.get("idempotent-replayed"),
  };
}

const refundRow = (id: string) =>
  handle.db
    .selectFrom("refund")
    .select(["status", "provider_refund_id"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
const stripeRefundCalls = () =>
  fake.requests.filter((r) => r.method === "POST" && r.path === "/v1/refunds").length;

describe("releasing a refund reservation", () => {
  it("fails a reservation Stripe never heard of and frees its amount; a waiting key may then ask again", async () => {
    const { payment } = await paidByCard(500n);
    const reserved = await strandedReservation(payment.id, 200n, "stranded-1");
    expect(await refundedSoFar(handle.db, payment.id)).toBe(200n);
    // Before the release, the key's request is told it is still being processed, and nothing is asked.
    const waiting = await post(`/api/v1/payments/${payment.id}/refunds`, { amount: 200 }, "stranded-1");
    expect([waiting.status, waiting.body.error.message]).toEqual([
      409,
      expect.stringContaining("still being"),
    ]);

    const released = await post(`/api/v1/refunds/${reserved.id}/release`);
    expect(released.status).toBe(200);
    expect(released.body.data).toMatchObject({
      outcome: "released",
      refund: { id: reserved.id, status: "failed" },
    });
    expect(await refundRow(reserved.id)).toEqual({ status: "failed", provider_refund_id: null });
    expect(await refundedSoFar(handle.db, payment.id)).toBe(0n);

    const calls = stripeRefundCalls();
    const retried = await post(`/api/v1/payments/${payment.id}/refunds`, { amount: 200 }, "stranded-1");
    expect([retried.status, retried.replayed, retried.body.data.status]).toEqual([201, null, "pending"]);
    expect(stripeRefundCalls()).toBe(calls + 1);
  });

  it("links and settles a refund Stripe made for the reservation, as its webhook would, and answers the key", async () => {
    const { invoice, payment } = await paidByCard(400n);
    const reserved = await strandedReservation(payment.id, 150n, "stranded-2");
    // The request reached Stripe; its answer, and the webhook, were lost with the process.
    fake.refunds.set("re_lost_1", {
      id: "re_lost_1",
      object: "refund",
      amount: 150,
      currency: "usd",
      payment_intent: payment.reference,
      status: "succeeded",
      reason: null,
      metadata: { tokenbill_payment_id: payment.id, tokenbill_refund_id: reserved.id },
      created: Math.floor(Date.now() / 1000) - 3600,
    });
    expect(await invoiceAmountDue(handle.db, invoice)).toBe(0n);
    const released = await post(`/api/v1/refunds/${reserved.id}/release`, { older_than_minutes: 30 });
    expect(released.body.data).toMatchObject({
      outcome: "settled",
      refund: { id: reserved.id, status: "succeeded", provider_refund_id: "re_lost_1" },
    });
    // The refund's ledger event reopened the invoice it had paid, as the webhook's settlement does.
    expect(await invoiceAmountDue(handle.db, invoice)).toBe(150n);
    // The key's request is answered with that refund: a retry is not a second refund in Stripe.
    const calls = stripeRefundCalls();
    const retried = await post(`/api/v1/payments/${payment.id}/refunds`, { amount: 150 }, "stranded-2");
    expect([retried.status, retried.replayed, retried.body.data.id]).toEqual([201, "true", reserved.id]);
    expect(stripeRefundCalls()).toBe(calls);
  });

  it("links a refund Stripe still has pending, leaving it to the webhook", async () => {
    const { payment } = await paidByCard(300n);
    const reserved = await strandedReservation(payment.id, 100n);
    fake.refunds.set("re_lost_2", {
      id: "re_lost_2",
      object: "refund",
      amount: 100,
      currency: "usd",
      payment_intent: payment.reference,
      status: "pending",
      reason: null,
      metadata: { tokenbill_payment_id: payment.id, tokenbill_refund_id: reserved.id },
      created: Math.floor(Date.now() / 1000) - 3600,
    });
    const released = await post(`/api/v1/refunds/${reserved.id}/release`, {});
    expect(released.body.data.outcome).toBe("linked");
    expect(await refundRow(reserved.id)).toEqual({ status: "pending", provider_refund_id: "re_lost_2" });
  });

  it("asks Stripe for the refund a reservation is linked to by its id, and refuses one Stripe does not know", async () => {
    const { payment } = await paidByCard(300n);
    const linked = await strandedReservation(payment.id, 80n);
    fake.refunds.set("re_linked_1", {
      id: "re_linked_1",
      object: "refund",
      amount: 80,
      currency: "usd",
      payment_intent: payment.reference,
      status: "succeeded",
      reason: null,
      // Edited in the Dashboard: only the link names the reservation now.
      metadata: {},
      created: Math.floor(Date.now() / 1000) - 3600,
    });
    await handle.db
      .updateTable("refund")
      .set({ provider_refund_id: "re_linked_1" })
      .where("id", "=", linked.id)
      .execute();
    const settled = await post(`/api/v1/refunds/${linked.id}/release`);
    expect(settled.body.data).toMatchObject({ outcome: "settled", refund: { status: "succeeded" } });

    const unknown = await strandedReservation(payment.id, 70n);
    await handle.db
      .updateTable("refund")
      .set({ provider_refund_id: "re_nowhere" })
      .where("id", "=", unknown.id)
      .execute();
    const refused = await post(`/api/v1/refunds/${unknown.id}/release`);
    expect([refused.status, refused.body.error.message]).toEqual([
      409,
      expect.stringContaining("does not know"),
    ]);
    expect(await refundRow(unknown.id)).toEqual({ status: "pending", provider_refund_id: "re_nowhere" });
  });

  it("refuses a refund that is not pending, one reserved too recently, and bad input, changing nothing", async () => {
    const { payment } = await paidByCard(300n);
    const young = await withTransaction({ ...pastContext(), now: () => new Date() }, (tx) =>
      recordRefundIn(tx.db, tx, { payment_id: payment.id, amount: 50n, status: "pending" }),
    );
    const tooYoung = await post(`/api/v1/refunds/${young.id}/release`);
    expect([tooYoung.status, tooYoung.body.error.issues[0].field]).toEqual([409, "refund_id"]);
    expect(tooYoung.body.error.message).toContain("older than 15 minutes");
    expect(await refundRow(young.id)).toEqual({ status: "pending", provider_refund_id: null });

    const old = await strandedReservation(payment.id, 60n);
    expect((await post(`/api/v1/refunds/${old.id}/release`)).body.data.outcome).toBe("released");
    const again = await post(`/api/v1/refunds/${old.id}/release`);
    expect([again.status, again.body.error.message]).toEqual([409, expect.stringContaining("is failed")]);

    const cases: [string, unknown, number, string][] = [
      ["/api/v1/refunds/ref_0123456789abcdef/release", undefined, 404, "refund_id"],
      ["/api/v1/refunds/pay_12/release", undefined, 400, "path.id"],
      [`/api/v1/refunds/${young.id}/release`, { older_than_minutes: 1 }, 400, "older_than_minutes"],
      [`/api/v1/refunds/${young.id}/release`, { minutes: 20 }, 400, "minutes"],
    ];
    for (const [path, body, status, field] of cases) {
      const refused = await post(path, body);
      expect([refused.status, refused.body.error.issues[0].field], path).toEqual([status, field]);
    }
    expect(await refundRow(young.id)).toEqual({ status: "pending", provider_refund_id: null });
  });
});
