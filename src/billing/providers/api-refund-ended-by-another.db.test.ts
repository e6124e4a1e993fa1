import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  endedReservationSteps,
  recordingLogger,
  stripeRefundOf,
  withRefundAnswerLost,
} from "../credit-notes/testing/ended-reservation.ts";
import { cardRefundReads } from "../credit-notes/testing/pending-note-refund.ts";
import { checkLedger } from "../payments/testing/ledger-invariants.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { type StripeWorld, startStripeWorld } from "./testing/stripe-world.ts";

// A refund asked through the admin API with an Idempotency-Key whose answer from Stripe was lost keeps its
// reservation pending and the key in flight. A refund in Stripe of another amount naming the reservation (made
// by hand) ends it, and the look-up the ending enqueues records the reservation's own refund if Stripe made it
// (the credit-note case: card-refund-ended-by-another.db.test.ts). Until 2026-12-07 nothing settled the key: a
// repeat of the client's request was a 409 "still being processed" for good. Now the look-up, once it knows,
// answers it with what became of the refund.

let world: StripeWorld;
beforeAll(async () => {
  world = await startStripeWorld();
});
afterAll(async () => {
  await world?.close();
});

const { refundOf } = cardRefundReads(() => world);
const { handMadeRefundArrives, runLookUps, lookUpJobOf, refundRowsOf } = endedReservationSteps(() => world);

/**
 * A new customer's $10.00 invoice paid by card and a $2.50 refund of it asked under `key` whose answer was lost:
 * `made` says whether Stripe made it (the connection dropped after) or not (a 500, which Stripe calls undecided).
 */
async function apiRefundWhoseAnswerWasLost(email: string, key: string, made: boolean) {
  const [customerId] = (await createCustomers(world.handle, [{ email }])) as [bigint];
  const { payment } = await world.paidByCard({ customerId, total: 1000n });
  const path = `/api/v1/payments/${payment.id}/refunds`;
  const first = await withRefundAnswerLost(world, made, () => world.post(path, { amount: 250 }, key));
  expect([first.status, first.body.data.status]).toEqual([202, "pending"]);
  const refundId = first.body.data.id as string;
  expect(await refundOf(refundId)).toEqual({ status: "pending", provider_refund_id: null });
  const own = stripeRefundOf(world, refundId);
  expect(own?.amount).toBe(made ? 250 : undefined);
  return { customerId, payment, path, refundId, ownRefund: own };
}

const ownRefundLines = (lines: { msg: string }[], refundId: string) =>
  lines.filter((l) => l.msg.includes(`had also made refund ${refundId}'s own refund`));

describe("an API refund's reservation ended by a refund of another amount", () => {
  it("Stripe had made the reservation's own refund: the look-up records it and answers the client's key with it", async () => {
    const key = "ended-api-1";
    const { customerId, payment, path, refundId, ownRefund } = await apiRefundWhoseAnswerWasLost(
      "ended-api-1@example.com",
      key,
      true,
    );
    await handMadeRefundArrives(payment.reference, refundId, "re_api_by_hand_1");
    // Until the look-up, whether Stripe made the refund asked is not known: the key stays in flight.
    const meanwhile = await world.post(path, { amount: 250 }, key);
    expect([meanwhile.status, meanwhile.body.error.message]).toEqual([
      409,
      expect.stringContaining("still being processed"),
    ]);

    const { lines, logger } = recordingLogger();
    await runLookUps(logger);
    expect(await lookUpJobOf(refundId)).toMatchObject({ status: "done", attempts: 1 });
    expect(ownRefundLines(lines, refundId)).toHaveLength(1);
    const rows = await refundRowsOf(payment.id);
    expect(rows).toEqual([
      expect.objectContaining({ id: refundId, status: "failed", provider_refund_id: null }),
      expect.objectContaining({ amount: 200n, status: "succeeded", provider_refund_id: "re_api_by_hand_1" }),
      expect.objectContaining({
        amount: 250n,
        status: "succeeded",
        provider_refund_id: ownRefund!.id,
        names_refund_id: refundId,
      }),
    ]);
    // $4.50 went back to the card: the invoice owes it again.
    expect(await checkLedger(world.db, world.context(), customerId)).toMatchObject({
      credit: 0n,
      dueTotal: 450n,
    });

    // The repeat is told of the refund Stripe made for it, and asks Stripe nothing.
    const calls = world.refundCalls();
    const again = await world.post(path, { amount: 250 }, key);
    expect([again.status, again.replayed]).toEqual([201, "true"]);
    expect(again.body.data).toMatchObject({
      id: rows[2]!.id,
      amount: 250,
      status: "succeeded",
      provider_refund_id: ownRefund!.id,
    });
    expect(world.refundCalls()).toBe(calls);
    expect(await refundRowsOf(payment.id)).toHaveLength(3);
  });

  it("Stripe never made it: the look-up records nothing and answers the key with the reservation, failed", async () => {
    const key = "ended-api-2";
    const { customerId, payment, path, refundId } = await apiRefundWhoseAnswerWasLost(
      "ended-api-2@example.com",
      key,
      false,
    );
    await handMadeRefundArrives(payment.reference, refundId, "re_api_by_hand_2");

    const { lines, logger } = recordingLogger();
    await runLookUps(logger);
    expect(await lookUpJobOf(refundId)).toMatchObject({ status: "done", attempts: 1 });
    expect(ownRefundLines(lines, refundId)).toEqual([]);
    expect((await refundRowsOf(payment.id)).map((r) => [r.amount, r.status])).toEqual([
      [250n, "failed"],
      [200n, "succeeded"],
    ]);
    expect(await checkLedger(world.db, world.context(), customerId)).toMatchObject({
      credit: 0n,
      dueTotal: 200n,
    });

    // The repeat is told the refund it asked for failed (nothing of it reached the card), not asked again: the
    // refund made by hand may be all the customer was owed, and a new key asks anew.
    const calls = world.refundCalls();
    const again = await world.post(path, { amount: 250 }, key);
    expect([again.status, again.replayed]).toEqual([201, "true"]);
    expect(again.body.data).toMatchObject({
      id: refundId,
      amount: 250,
      status: "failed",
      provider_refund_id: null,
    });
    expect(world.refundCalls()).toBe(calls);
    expect(await refundRowsOf(payment.id)).toHaveLength(2);
  });

  it("the own refund's webhook came first: the look-up records nothing twice and says it found it recorded", async () => {
    const key = "ended-api-3";
    const { customerId, payment, path, refundId, ownRefund } = await apiRefundWhoseAnswerWasLost(
      "ended-api-3@example.com",
      key,
      true,
    );
    await handMadeRefundArrives(payment.reference, refundId, "re_api_by_hand_3");
    const late = await world.deliver(world.fake.event("refund.updated", ownRefund));
    expect([late.status, late.body.outcome]).toEqual([200, "processed"]);

    const { lines, logger } = recordingLogger();
    await runLookUps(logger);
    expect(await lookUpJobOf(refundId)).toMatchObject({ status: "done" });
    // Until 2026-12-07 the look-up said it had recorded it ("had also made …"), a second time.
    expect(ownRefundLines(lines, refundId)).toEqual([]);
    expect(lines.map((l) => l.msg)).toContainEqual(expect.stringContaining("recorded already"));
    const rows = await refundRowsOf(payment.id);
    expect(rows.map((r) => [r.amount, r.status, r.provider_refund_id])).toEqual([
      [250n, "failed", null],
      [200n, "succeeded", "re_api_by_hand_3"],
      [250n, "succeeded", ownRefund!.id],
    ]);
    expect(await checkLedger(world.db, world.context(), customerId)).toMatchObject({ dueTotal: 450n });
    const again = await world.post(path, { amount: 250 }, key);
    expect(again.status).toBe(201);
    expect(again.body.data.id).toBe(rows[2]!.id);
  });
});
