import { describe, expect, it } from "vitest";
import { checkLedger } from "../payments/testing/ledger-invariants.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import {
  endedReservationSteps,
  recordingLogger,
  stripeRefundOf,
  withRefundAnswerLost,
} from "./testing/ended-reservation.ts";
import {
  askRefundNote,
  cardRefundReads,
  noteWhoseProcessDied,
  refundIdOfPayment,
  runNoteRefundJobs,
} from "./testing/pending-note-refund.ts";

// A refund in Stripe naming a credit note's reservation for another amount (made by hand) ends the reservation
// (card-refund-found-mismatch.db.test.ts). Stripe may ALSO have made the reservation's own refund: the note's
// request asked, Stripe made it, and both its answer and its webhook were lost. Until 2026-12-07 nothing looked
// again: the card had the $2.50 back while the customer kept it as credit. Now the ending enqueues a look-up,
// which records that refund as its webhook would (the credit taken back), and nothing when Stripe has none; the
// lost webhook arriving late, before or after the look-up, records nothing twice.

const file = stripeWorldPerFile();

const { statement, refundOf, jobOf } = cardRefundReads(() => file.world);
const { handMadeRefundArrives, runLookUps, lookUpJobOf, refundRowsOf } = endedReservationSteps(
  () => file.world,
);

/** A new customer's $10.00 invoice paid by card and a $2.50 note settled as a refund whose answer was lost. */
async function noteWhoseAnswerWasLost(email: string) {
  const [customerId] = (await createCustomers(file.world.handle, [{ email }])) as [bigint];
  const { invoice, payment } = await file.world.paidByCard({ customerId, total: 1000n });
  const note = await withRefundAnswerLost(file.world, true, () => askRefundNote(file.world, invoice));
  expect(note.status).toBe(201);
  const refundId = await refundIdOfPayment(file.world, payment.id);
  // Stripe made it; tokenbill knows nothing of it: the reservation is pending and unlinked.
  expect(await refundOf(refundId)).toEqual({ status: "pending", provider_refund_id: null });
  const own = stripeRefundOf(file.world, refundId);
  expect(own?.amount).toBe(250);
  return { customerId, payment, refundId, ownRefund: own! };
}

describe("a credit note's reservation ended by a refund of another amount", () => {
  it("is looked up once asks in flight are over: the reservation's own refund Stripe made is recorded, the credit taken back", async () => {
    const { customerId, payment, refundId, ownRefund } = await noteWhoseAnswerWasLost("ended-1@example.com");
    const before = Date.now();
    await handMadeRefundArrives(payment.reference, refundId, "re_ended_by_hand_1");
    // The look-up waits for any ask still in flight (at least the five minutes a release waits).
    const waiting = await lookUpJobOf(refundId);
    expect(waiting.status).toBe("pending");
    expect(waiting.run_after.getTime()).toBeGreaterThanOrEqual(before + 5 * 60_000);
    // Before it: $7.50 owed and paid, $2.00 back on the card and the note's $2.50 as credit, $0.50 of it left.
    expect(await statement(customerId)).toMatchObject({ credit: 50, credit_held: 0, balance: -50 });

    await runLookUps();
    expect(await lookUpJobOf(refundId)).toMatchObject({ status: "done", attempts: 1 });
    expect(await refundRowsOf(payment.id)).toEqual([
      expect.objectContaining({ id: refundId, status: "failed", provider_refund_id: null }),
      expect.objectContaining({
        amount: 200n,
        status: "succeeded",
        provider_refund_id: "re_ended_by_hand_1",
      }),
      expect.objectContaining({
        amount: 250n,
        status: "succeeded",
        provider_refund_id: ownRefund.id,
        names_refund_id: refundId,
      }),
    ]);
    // $4.50 went back to the card: the credit is taken back, and the customer owes the $2.00 refunded by hand.
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 200 });
    expect(await checkLedger(file.world.db, file.world.context(), customerId)).toMatchObject({
      credit: 0n,
      dueTotal: 200n,
    });

    // The lost webhook arrives late: nothing twice.
    const late = await file.world.deliver(file.world.fake.event("refund.updated", ownRefund));
    expect([late.status, late.body.outcome]).toEqual([200, "ignored"]);
    expect(await refundRowsOf(payment.id)).toHaveLength(3);
    expect(await statement(customerId)).toMatchObject({ credit: 0, balance: 200 });
    await checkLedger(file.world.db, file.world.context(), customerId);
  });

  it("the lost webhook arriving before the look-up: the look-up records nothing twice", async () => {
    const { customerId, payment, refundId, ownRefund } = await noteWhoseAnswerWasLost("ended-2@example.com");
    await handMadeRefundArrives(payment.reference, refundId, "re_ended_by_hand_2");
    const late = await file.world.deliver(file.world.fake.event("refund.updated", ownRefund));
    expect([late.status, late.body.outcome]).toEqual([200, "processed"]);
    expect(await statement(customerId)).toMatchObject({ credit: 0, balance: 200 });

    await runLookUps();
    expect(await lookUpJobOf(refundId)).toMatchObject({ status: "done" });
    expect((await refundRowsOf(payment.id)).map((r) => [r.amount, r.status, r.provider_refund_id])).toEqual([
      [250n, "failed", null],
      [200n, "succeeded", "re_ended_by_hand_2"],
      [250n, "succeeded", ownRefund.id],
    ]);
    expect(await checkLedger(file.world.db, file.world.context(), customerId)).toMatchObject({
      credit: 0n,
      dueTotal: 200n,
    });
  });

  it("Stripe never made the reservation's refund: the look-up finds none and the credit stays the customer's", async () => {
    const { customerId, payment } = await noteWhoseProcessDied(file.world, "ended-3@example.com");
    const refundId = await refundIdOfPayment(file.world, payment.id);
    await handMadeRefundArrives(payment.reference, refundId, "re_ended_by_hand_3");

    await runLookUps();
    expect(await lookUpJobOf(refundId)).toMatchObject({ status: "done", attempts: 1 });
    expect((await refundRowsOf(payment.id)).map((r) => [r.amount, r.status])).toEqual([
      [250n, "failed"],
      [200n, "succeeded"],
    ]);
    // $2.00 on the card, $0.50 of the note's $2.50 still the customer's credit.
    expect(await statement(customerId)).toMatchObject({ credit: 50, credit_held: 0, balance: -50 });
    expect(await checkLedger(file.world.db, file.world.context(), customerId)).toMatchObject({
      credit: 50n,
      dueTotal: 0n,
    });
  });

  it("ended while the note's job looks: the job's error says it found and recorded the reservation's own refund", async () => {
    const { customerId, payment, refundId, ownRefund } = await noteWhoseAnswerWasLost("ended-4@example.com");
    // The hand-made refund's webhook comes after the job saw the reservation pending, before it records what
    // Stripe listed: the reservation's own $2.50 and the $2.00.
    file.world.fake.beforeNextLookup = () =>
      handMadeRefundArrives(payment.reference, refundId, "re_ended_by_hand_4");
    await runNoteRefundJobs(file.world);
    expect(file.world.fake.beforeNextLookup).toBeNull();

    const job = await jobOf(refundId);
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    // Until 2026-12-07: "Stripe has refund re_… of 250 … naming refund ref_…, which reserved 250: it cannot be
    // this reservation's refund".
    expect(job.last_error).not.toContain("cannot be this reservation's refund");
    expect(job.last_error).toContain(
      `Stripe has refund ${ownRefund.id} of 250 (minor units of USD), refund ${refundId}'s own`,
    );
    expect(job.last_error).toContain("the credit it held is taken back");
    expect(job.last_error).toContain("refund re_ended_by_hand_4 of 200 (minor units of USD) naming it");
    expect(job.last_error).toContain("look in Stripe's dashboard at who made re_ended_by_hand_4");
    // The books say what the job says: both card refunds, no credit left.
    expect((await refundRowsOf(payment.id)).map((r) => [r.amount, r.status, r.provider_refund_id])).toEqual([
      [250n, "failed", null],
      [200n, "succeeded", "re_ended_by_hand_4"],
      [250n, "succeeded", ownRefund.id],
    ]);
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 200 });
    // The look-up the ending enqueued finds it recorded already, and says so: until 2026-12-07 it said it had
    // recorded it ("had also made …"), as if the card had got that money back a second time.
    const { lines, logger } = recordingLogger();
    await runLookUps(logger);
    expect(await lookUpJobOf(refundId)).toMatchObject({ status: "done" });
    expect(lines.map((l) => l.msg)).toEqual([
      `Stripe's refund ${ownRefund.id}, refund ${refundId}'s own, was recorded already as refund ${
        (await refundRowsOf(payment.id))[2]?.id
      } of the payment: nothing more to record`,
    ]);
    expect(await refundRowsOf(payment.id)).toHaveLength(3);
    await checkLedger(file.world.db, file.world.context(), customerId);
  });
});
