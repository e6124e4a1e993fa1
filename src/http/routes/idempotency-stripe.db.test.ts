import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StripeWorld, startStripeWorld } from "../../billing/providers/testing/stripe-world.ts";
import { createCustomers } from "../../billing/testing/billing-fixtures.ts";

// Idempotency-Key where money goes back through Stripe: a credit note's card refund runs after the note
// commits, a payment's refund between a reservation and its link. A replay asks Stripe nothing again, and
// Stripe's refusal is kept as the key's answer, so a retry cannot reach Stripe a second time either; a call
// Stripe left undecided keeps the key in flight with its pending reservation.

let world: StripeWorld;
let customer: bigint;

beforeAll(async () => {
  world = await startStripeWorld();
  [customer] = (await createCustomers(world.handle, [{ email: "card@example.com" }])) as [bigint];
});
afterAll(() => world?.close());

/** An issued invoice of `total` paid in full through Checkout, and its payment. */
const paidByCard = (total: bigint) => world.paidByCard({ customerId: customer, total });

const refundRows = (paymentId: string) =>
  world.db
    .selectFrom("refund")
    .select(["id", "amount", "status"])
    .where("payment_id", "=", paymentId)
    .execute();

describe("Idempotency-Key and Stripe", () => {
  it("replays a credit note whose card refund ran after commit without asking Stripe again", async () => {
    const { invoice, payment } = await paidByCard(500n);
    const path = `/api/v1/invoices/${invoice}/credit-notes`;
    const body = { amount: 100, reason: "outage", settlement: "refund" };
    const calls = world.refundCalls();
    const first = await world.post(path, body, "cn-card-1");
    expect(first.status).toBe(201);
    expect(world.refundCalls()).toBe(calls + 1);
    const again = await world.post(path, body, "cn-card-1");
    expect([again.status, again.text, again.replayed]).toEqual([201, first.text, "true"]);
    expect(world.refundCalls()).toBe(calls + 1);
    expect(await refundRows(payment.id)).toHaveLength(1);
  });

  it("replays a refund through Stripe, and two at once with one key reach Stripe once", async () => {
    const { payment } = await paidByCard(600n);
    const path = `/api/v1/payments/${payment.id}/refunds`;
    const calls = world.refundCalls();
    const first = await world.post(path, { amount: 200 }, "ref-card-1");
    expect(first.status).toBe(201);
    const again = await world.post(path, { amount: 200 }, "ref-card-1");
    expect([again.status, again.text, again.replayed]).toEqual([201, first.text, "true"]);
    expect(world.refundCalls()).toBe(calls + 1);

    const answers = await Promise.all([1, 2].map(() => world.post(path, { amount: 100 }, "ref-card-race")));
    // The second either waited for the first's reservation and found the key in flight (409), or came after
    // the answer and was given it: never a second reservation.
    for (const a of answers) expect([201, 409]).toContain(a.status);
    expect(answers.filter((a) => a.status === 201 && a.replayed === null)).toHaveLength(1);
    const conflict = answers.find((a) => a.status === 409);
    if (conflict) expect(conflict.body.error.message).toContain("still being processed");
    expect(world.refundCalls()).toBe(calls + 2);
    expect((await refundRows(payment.id)).map((r) => r.amount)).toEqual([200n, 100n]);
  });

  it("keeps Stripe's refusal as the key's answer: a retry is told the same and Stripe is not asked again", async () => {
    const { payment } = await paidByCard(300n);
    // Refunded in Stripe's Dashboard without tokenbill hearing of it yet: Stripe refuses another refund.
    world.fake.addRefund({
      id: "re_idem_elsewhere",
      amount: 300,
      payment_intent: payment.reference,
      status: "succeeded",
    });
    const path = `/api/v1/payments/${payment.id}/refunds`;
    const first = await world.post(path, { amount: 300 }, "ref-refused");
    expect([first.status, first.body.error.code]).toEqual([409, "CONFLICT"]);
    const calls = world.refundCalls();
    const again = await world.post(path, { amount: 300 }, "ref-refused");
    expect([again.status, again.text, again.replayed]).toEqual([409, first.text, "true"]);
    expect(world.refundCalls()).toBe(calls);
    expect((await refundRows(payment.id)).map((r) => r.status)).toEqual(["failed"]);
  });

  it("keeps a refund Stripe answered with a 5xx pending under its key: a repeat is told it is in flight, not asked again", async () => {
    const { payment } = await paidByCard(400n);
    const path = `/api/v1/payments/${payment.id}/refunds`;
    world.fake.refundsFailWith = 500;
    try {
      const calls = world.refundCalls();
      // Stripe calls a 5xx indeterminate: the refund may exist. Until 2026-12-06 this was a 503 and the
      // reservation failed, its amount free for a second refund under a new key.
      const first = await world.post(path, { amount: 400 }, "ref-stripe-down");
      expect([first.status, first.body.data.status]).toEqual([202, "pending"]);
      expect(world.refundCalls()).toBe(calls + 1);
      const again = await world.post(path, { amount: 400 }, "ref-stripe-down");
      expect(again.status).toBe(409);
      expect(again.body.error.message).toContain("still being processed");
      const other = await world.post(path, { amount: 400 }, "ref-stripe-down-2");
      expect(other.status).toBe(400);
      expect(world.refundCalls()).toBe(calls + 1);
      expect((await refundRows(payment.id)).map((r) => r.status)).toEqual(["pending"]);
    } finally {
      world.fake.refundsFailWith = null;
    }
  });
  it.each(["pending", "succeeded"] as const)(
    "answers the key of a refund whose answer was lost once Stripe's webhook links it (%s): a repeat replays the refund, Stripe not asked again",
    async (status) => {
      const { payment } = await paidByCard(800n);
      const path = `/api/v1/payments/${payment.id}/refunds`;
      const key = `ref-answer-lost-${status}`;
      world.fake.refundAnswersLost = true;
      world.fake.refundStatusOnCreate = status;
      let first: Awaited<ReturnType<StripeWorld["post"]>>;
      try {
        first = await world.post(path, { amount: 300 }, key);
      } finally {
        world.fake.refundAnswersLost = false;
        world.fake.refundStatusOnCreate = "pending";
      }
      expect([first.status, first.body.data.status]).toEqual([202, "pending"]);
      const refundId = first.body.data.id as string;
      const calls = world.refundCalls();
      // Before the webhook, whether Stripe made the refund is not known here: the key stays in flight.
      const meanwhile = await world.post(path, { amount: 300 }, key);
      expect([meanwhile.status, meanwhile.body.error.message]).toEqual([
        409,
        expect.stringContaining("still being processed"),
      ]);

      const made = [...world.fake.refunds.values()].find(
        (r) => r.metadata["tokenbill_refund_id"] === refundId,
      );
      expect(made?.amount).toBe(300);
      const delivered = await world.deliver(world.fake.event("refund.created", made));
      expect([delivered.status, delivered.body.outcome]).toEqual([200, "processed"]);

      // Until 2026-12-07 nothing answered the key here: a 409 for a day, then a repeat asked Stripe again.
      const again = await world.post(path, { amount: 300 }, key);
      expect([again.status, again.replayed]).toEqual([201, "true"]);
      expect(again.body.data).toMatchObject({
        id: refundId,
        provider_refund_id: made!.id,
        status,
        amount: 300,
      });
      const replayedAgain = await world.post(path, { amount: 300 }, key);
      expect(replayedAgain.text).toBe(again.text);
      expect(world.refundCalls()).toBe(calls);
      expect((await refundRows(payment.id)).map((r) => [r.id, r.status])).toEqual([[refundId, status]]);
    },
  );

  it("keeps a refund Stripe answered 409 (its key still in flight) pending under its key, not refused", async () => {
    const { payment } = await paidByCard(600n);
    const path = `/api/v1/payments/${payment.id}/refunds`;
    const calls = world.refundCalls();
    world.fake.refundKeyInFlight = true;
    try {
      // Another request with the reservation's key is still running in Stripe: the refund may be made. Until
      // 2026-12-06 this was a 503 kept as the key's answer, and the reservation failed, its amount free.
      const first = await world.post(path, { amount: 600 }, "ref-key-in-flight");
      expect([first.status, first.body.data?.status]).toEqual([202, "pending"]);
      const again = await world.post(path, { amount: 600 }, "ref-key-in-flight");
      expect(again.status).toBe(409);
      expect(again.body.error.message).toContain("still being processed");
      const other = await world.post(path, { amount: 600 }, "ref-key-in-flight-2");
      expect(other.status).toBe(400);
      // One call to Stripe, which the SDK sent three times (it retries a 409 twice).
      expect(world.refundCalls()).toBe(calls + 3);
      expect((await refundRows(payment.id)).map((r) => r.status)).toEqual(["pending"]);
    } finally {
      world.fake.refundKeyInFlight = false;
    }
  });

  it.each([429, 401] as const)(
    "answers a refund Stripe did not carry out (%i) 503 with Retry-After, its reservation released, kept under its key",
    async (status) => {
      const { payment } = await paidByCard(700n);
      const path = `/api/v1/payments/${payment.id}/refunds`;
      const key = `ref-not-carried-out-${status}`;
      const calls = world.refundCalls();
      world.fake.refundsRefusedWith = status;
      try {
        // Nothing was made in Stripe and no job asks again: the caller does, so nothing stays held.
        const first = await world.post(path, { amount: 700 }, key);
        expect([first.status, first.body.error.code, first.retryAfter]).toEqual([
          503,
          "UPSTREAM_UNAVAILABLE",
          "5",
        ]);
        expect((await refundRows(payment.id)).map((r) => r.status)).toEqual(["failed"]);
        const again = await world.post(path, { amount: 700 }, key);
        expect([again.status, again.text, again.replayed, again.retryAfter]).toEqual([
          503,
          first.text,
          "true",
          "5",
        ]);
        expect(world.refundCalls()).toBe(calls + 1);
      } finally {
        world.fake.refundsRefusedWith = null;
      }
      // A new key once Stripe takes requests again refunds the whole payment: the first reservation held nothing.
      const retried = await world.post(path, { amount: 700 }, `${key}-retry`);
      expect(retried.status).toBe(201);
      expect((await refundRows(payment.id)).map((r) => r.status)).toEqual(["failed", "pending"]);
    },
  );
});
