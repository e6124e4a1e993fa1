import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { type IdempotencyRequest, requestHash } from "../../kernel/idempotency.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { invoiceAmountDue } from "../ledger/ledger.ts";
import { claimIdempotencyKey } from "../../kernel/idempotency-key.ts";
import { linkIdempotencyKeyToRefund } from "../payments/idempotency-key.ts";
import { recordRefundIn, refundedSoFar } from "../payments/refund-payment.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { type StripeWorld, startStripeWorld } from "./testing/stripe-world.ts";

// A refund reservation whose provider call never ran (the process died between reserving the pending row
// and asking Stripe) held its amount for good. Releasing it asks Stripe first: a refund Stripe made for it is
// linked and settled as the webhook would; none, and the reservation fails and frees its amount. A client's
// Idempotency-Key left waiting on it is answered, or freed, with it.

let world: StripeWorld;
let customer: bigint;

beforeAll(async () => {
  world = await startStripeWorld();
  [customer] = (await createCustomers(world.handle, [{ email: "release@example.com" }])) as [bigint];
});
afterAll(() => world?.close());

const HOUR = 3_600_000;
/** The context of the process that reserved and died: its clock an hour back, so the reservation is old. */
const pastContext = (): ServiceContext =>
  world.context({ actor: actors.envKey(), now: () => new Date(Date.now() - HOUR) });

const paidByCard = (total: bigint) => world.paidByCard({ customerId: customer, total });

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

const refundRow = (id: string) =>
  world.db
    .selectFrom("refund")
    .select(["status", "provider_refund_id"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();

describe("releasing a refund reservation", () => {
  it("fails a reservation Stripe never heard of and frees its amount; a waiting key may then ask again", async () => {
    const { payment } = await paidByCard(500n);
    const reserved = await strandedReservation(payment.id, 200n, "stranded-1");
    expect(await refundedSoFar(world.db, payment.id)).toBe(200n);
    // Before the release, the key's request is told it is still being processed, and nothing is asked.
    const waiting = await world.post(`/api/v1/payments/${payment.id}/refunds`, { amount: 200 }, "stranded-1");
    expect([waiting.status, waiting.body.error.message]).toEqual([
      409,
      expect.stringContaining("still being"),
    ]);

    const released = await world.post(`/api/v1/refunds/${reserved.id}/release`);
    expect(released.status).toBe(200);
    expect(released.body.data).toMatchObject({
      outcome: "released",
      refund: { id: reserved.id, status: "failed" },
    });
    expect(await refundRow(reserved.id)).toEqual({ status: "failed", provider_refund_id: null });
    expect(await refundedSoFar(world.db, payment.id)).toBe(0n);

    const calls = world.refundCalls();
    const retried = await world.post(`/api/v1/payments/${payment.id}/refunds`, { amount: 200 }, "stranded-1");
    expect([retried.status, retried.replayed, retried.body.data.status]).toEqual([201, null, "pending"]);
    expect(world.refundCalls()).toBe(calls + 1);
  });

  it("ends a reservation whose only refund in Stripe is of another amount and keeps its key: a repeat asks nothing", async () => {
    const { payment } = await paidByCard(500n);
    const reserved = await strandedReservation(payment.id, 250n, "stranded-other-amount");
    // Made by hand in the Dashboard for less than the request asked, naming the reservation.
    world.fake.addRefund({
      id: "re_release_by_hand",
      amount: 200,
      payment_intent: payment.reference,
      status: "succeeded",
      metadata: { tokenbill_refund_id: reserved.id },
      created: Math.floor(Date.now() / 1000) - 3600,
    });
    const released = await world.post(`/api/v1/refunds/${reserved.id}/release`);
    expect(released.body.data).toMatchObject({
      outcome: "released",
      refund: { id: reserved.id, status: "failed", provider_refund_id: null },
    });
    expect(await refundedSoFar(world.db, payment.id)).toBe(200n);

    // Money went back to the card naming this request: a repeat must not have Stripe refund it again. It is
    // answered as the look-up of an ended reservation answers it, with the reservation as it ended (until
    // 2026-12-07 the key was freed, and the repeat made a second refund in Stripe).
    const calls = world.refundCalls();
    const retried = await world.post(
      `/api/v1/payments/${payment.id}/refunds`,
      { amount: 250 },
      "stranded-other-amount",
    );
    expect([retried.status, retried.replayed, retried.body.data]).toEqual([
      201,
      "true",
      expect.objectContaining({ id: reserved.id, status: "failed", provider_refund_id: null }),
    ]);
    expect(world.refundCalls()).toBe(calls);
    expect(await refundedSoFar(world.db, payment.id)).toBe(200n);
  });

  it("links and settles a refund Stripe made for the reservation, as its webhook would, and answers the key", async () => {
    const { invoice, payment } = await paidByCard(400n);
    const reserved = await strandedReservation(payment.id, 150n, "stranded-2");
    // The request reached Stripe; its answer, and the webhook, were lost with the process.
    world.fake.addRefund({
      id: "re_lost_1",
      amount: 150,
      payment_intent: payment.reference,
      status: "succeeded",
      metadata: { tokenbill_payment_id: payment.id, tokenbill_refund_id: reserved.id },
      created: Math.floor(Date.now() / 1000) - 3600,
    });
    expect(await invoiceAmountDue(world.db, invoice)).toBe(0n);
    const released = await world.post(`/api/v1/refunds/${reserved.id}/release`, { older_than_minutes: 30 });
    expect(released.body.data).toMatchObject({
      outcome: "settled",
      refund: { id: reserved.id, status: "succeeded", provider_refund_id: "re_lost_1" },
    });
    // The refund's ledger event reopened the invoice it had paid, as the webhook's settlement does.
    expect(await invoiceAmountDue(world.db, invoice)).toBe(150n);
    // The key's request is answered with that refund: a retry is not a second refund in Stripe.
    const calls = world.refundCalls();
    const retried = await world.post(`/api/v1/payments/${payment.id}/refunds`, { amount: 150 }, "stranded-2");
    expect([retried.status, retried.replayed, retried.body.data.id]).toEqual([201, "true", reserved.id]);
    expect(world.refundCalls()).toBe(calls);
  });

  it("links a refund Stripe still has pending, leaving it to the webhook", async () => {
    const { payment } = await paidByCard(300n);
    const reserved = await strandedReservation(payment.id, 100n);
    world.fake.addRefund({
      id: "re_lost_2",
      amount: 100,
      payment_intent: payment.reference,
      status: "pending",
      metadata: { tokenbill_payment_id: payment.id, tokenbill_refund_id: reserved.id },
      created: Math.floor(Date.now() / 1000) - 3600,
    });
    const released = await world.post(`/api/v1/refunds/${reserved.id}/release`, {});
    expect(released.body.data.outcome).toBe("linked");
    expect(await refundRow(reserved.id)).toEqual({ status: "pending", provider_refund_id: "re_lost_2" });
  });

  it("records the other refunds naming the reservation as refunds of the payment, once", async () => {
    const { payment } = await paidByCard(600n);
    const reserved = await strandedReservation(payment.id, 120n);
    const naming = (id: string, amount: number) =>
      world.fake.addRefund({
        id,
        amount,
        payment_intent: payment.reference,
        status: "succeeded",
        metadata: { tokenbill_payment_id: payment.id, tokenbill_refund_id: reserved.id },
      });
    naming("re_release_own", 120);
    const again = naming("re_release_again", 120);
    const released = await world.post(`/api/v1/refunds/${reserved.id}/release`, {});
    expect(released.body.data).toMatchObject({
      outcome: "settled",
      refund: { status: "succeeded", provider_refund_id: "re_release_own" },
    });
    const rowsOf = () =>
      world.db
        .selectFrom("refund")
        .select(["id", "status", "provider_refund_id", "names_refund_id"])
        .where("payment_id", "=", payment.id)
        .orderBy("provider_refund_id")
        .execute();
    const recorded = await rowsOf();
    expect(recorded).toEqual([
      expect.objectContaining({ provider_refund_id: "re_release_again", names_refund_id: reserved.id }),
      expect.objectContaining({ id: reserved.id, provider_refund_id: "re_release_own" }),
    ]);
    expect(await refundedSoFar(world.db, payment.id)).toBe(240n);
    // Its own webhook, coming after all, records nothing twice.
    expect((await world.deliver(world.fake.event("refund.updated", again))).status).toBe(200);
    expect(await rowsOf()).toEqual(recorded);
    expect(await refundedSoFar(world.db, payment.id)).toBe(240n);
  });

  it("asks Stripe for the refund a reservation is linked to by its id, and refuses one Stripe does not know", async () => {
    const { payment } = await paidByCard(300n);
    const linked = await strandedReservation(payment.id, 80n);
    world.fake.addRefund({
      id: "re_linked_1",
      amount: 80,
      payment_intent: payment.reference,
      status: "succeeded",
      // Edited in the Dashboard: only the link names the reservation now.
      metadata: {},
      created: Math.floor(Date.now() / 1000) - 3600,
    });
    await world.db
      .updateTable("refund")
      .set({ provider_refund_id: "re_linked_1" })
      .where("id", "=", linked.id)
      .execute();
    const settled = await world.post(`/api/v1/refunds/${linked.id}/release`);
    expect(settled.body.data).toMatchObject({ outcome: "settled", refund: { status: "succeeded" } });

    const unknown = await strandedReservation(payment.id, 70n);
    await world.db
      .updateTable("refund")
      .set({ provider_refund_id: "re_nowhere" })
      .where("id", "=", unknown.id)
      .execute();
    const refused = await world.post(`/api/v1/refunds/${unknown.id}/release`);
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
    const tooYoung = await world.post(`/api/v1/refunds/${young.id}/release`);
    expect([tooYoung.status, tooYoung.body.error.issues[0].field]).toEqual([409, "refund_id"]);
    expect(tooYoung.body.error.message).toContain("older than 15 minutes");
    expect(await refundRow(young.id)).toEqual({ status: "pending", provider_refund_id: null });

    const old = await strandedReservation(payment.id, 60n);
    expect((await world.post(`/api/v1/refunds/${old.id}/release`)).body.data.outcome).toBe("released");
    const again = await world.post(`/api/v1/refunds/${old.id}/release`);
    expect([again.status, again.body.error.message]).toEqual([409, expect.stringContaining("is failed")]);

    const cases: [string, unknown, number, string][] = [
      ["/api/v1/refunds/ref_0123456789abcdef/release", undefined, 404, "refund_id"],
      ["/api/v1/refunds/pay_12/release", undefined, 400, "path.id"],
      [`/api/v1/refunds/${young.id}/release`, { older_than_minutes: 1 }, 400, "older_than_minutes"],
      [`/api/v1/refunds/${young.id}/release`, { minutes: 20 }, 400, "minutes"],
    ];
    for (const [path, body, status, field] of cases) {
      const refused = await world.post(path, body);
      expect([refused.status, refused.body.error.issues[0].field], path).toEqual([status, field]);
    }
    expect(await refundRow(young.id)).toEqual({ status: "pending", provider_refund_id: null });
  });
});
