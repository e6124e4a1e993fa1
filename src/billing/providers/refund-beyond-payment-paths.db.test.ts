import { describe, expect, it } from "vitest";
import {
  endedReservationSteps,
  recordingLogger,
  stripeRefundOf,
} from "../credit-notes/testing/ended-reservation.ts";
import {
  cardRefundReads,
  noteWhoseProcessDied,
  runNoteRefundJobs,
} from "../credit-notes/testing/pending-note-refund.ts";
import { checkLedger } from "../payments/testing/ledger-invariants.ts";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import { chargeLookUpSteps } from "./testing/charge-look-up.ts";

// A refund Stripe made that does not fit even with every reservation of its payment ended queues a look-up of
// the charge's refunds (refund-charge-look-up.db.test.ts, for the webhook and a request). The other paths that
// apply a refund Stripe holds meet the same refusal: a release, a credit note's job (its look-up before it asks,
// and its ask), the look-up of an ended reservation. Until 2026-12-07 they queued nothing, and their error said
// to compare with Stripe's dashboard and fix by hand, though the look-up mends the usual cause itself: a refund
// tokenbill holds succeeded whose failure (`refund.failed`) it never heard.

const serverLog = recordingLogger();
const file = stripeWorldPerFile({ logger: serverLog.logger });
const { refundedByCard, lookUpsOf, runChargeLookUps } = chargeLookUpSteps(() => file.world);
const { handMadeRefundArrives, runLookUps, lookUpJobOf, refundRowsOf } = endedReservationSteps(
  () => file.world,
);
const { jobOf, refundOf } = cardRefundReads(() => file.world);

const HOUR = 3_600_000;
const QUEUED = (jobId: bigint) => `A look-up of the charge's refunds in Stripe is queued (job ${jobId})`;

/**
 * A new customer's $10.00 invoice paid by card, a $2.50 credit note on it settled as a refund whose process died
 * before asking Stripe (the reservation pending, unlinked, dated `now`), then $6.00 refunded through the API,
 * which Stripe made and later failed (the bank returned it) without tokenbill hearing: the books leave $1.50 of
 * the payment, Stripe $7.50.
 */
async function noteBesideUnheardFailure(email: string, options: { now?: () => Date } = {}) {
  const { customerId, payment } = await noteWhoseProcessDied(file.world, email, options);
  const { id: reservation } = await file.world.db
    .selectFrom("refund")
    .select("id")
    .where("payment_id", "=", payment.id)
    .where("credit_note_id", "is not", null)
    .executeTakeFirstOrThrow();
  const { made: missed } = await refundedByCard(payment, 600);
  file.world.fake.settleRefund(missed.provider_refund_id, "failed");
  return { customerId, payment, reservation, missed };
}

/** A $5.00 refund made by hand in the Dashboard naming the reservation, whose webhook has not come. */
const handMadeNaming = (paymentIntent: string, reservation: string, id: string) =>
  file.world.fake.addRefund({
    id,
    amount: 500,
    payment_intent: paymentIntent,
    status: "succeeded",
    metadata: { tokenbill_refund_id: reservation },
  });

describe("a release that finds a refund Stripe made that does not fit", () => {
  it("is answered 409 saying a look-up of the charge is queued; the look-up records it, so no release is needed", async () => {
    const { customerId, payment, reservation, missed } = await noteBesideUnheardFailure(
      "paths-release@example.com",
      {
        now: () => new Date(Date.now() - HOUR),
      },
    );
    handMadeNaming(payment.reference, reservation, "re_paths_release");

    const released = await file.world.post(`/api/v1/refunds/${reservation}/release`);
    expect(released.status).toBe(409);
    // Ending the reservation leaves 1.50 + 2.50 = 4.00 of the payment, short of the 5.00.
    expect(released.body.error.message).toContain(
      `Stripe has refund re_paths_release of 500 (minor units of USD) of payment ${payment.id}, but tokenbill's refunds of it that Stripe made or may make leave 400 of it: not recorded`,
    );
    const [job, ...more] = await lookUpsOf(payment.id);
    expect([job?.status, more]).toEqual(["pending", []]);
    expect(released.body.error.message).toContain(QUEUED(job!.id));
    expect(released.body.error.message).toContain("no release is needed");
    expect(await refundOf(reservation)).toEqual({ status: "pending", provider_refund_id: null });

    await runChargeLookUps();
    expect((await lookUpsOf(payment.id)).map((j) => j.status)).toEqual(["done"]);
    expect((await refundRowsOf(payment.id)).map((r) => [r.id, r.amount, r.status])).toEqual([
      [reservation, 250n, "failed"],
      [missed.id, 600n, "failed"],
      [expect.any(String), 500n, "succeeded"],
    ]);
    // Released again, it is said to be over: the look-up ended it.
    const again = await file.world.post(`/api/v1/refunds/${reservation}/release`);
    expect([again.status, again.body.error.message]).toEqual([409, expect.stringContaining("is failed")]);
    await checkLedger(file.world.db, file.world.context(), customerId);
  });
});

describe("a credit note's job whose look-up finds a refund Stripe made that does not fit", () => {
  it("says in its error that a look-up of the charge is queued, asks for nothing, and ends once that has run", async () => {
    const { customerId, payment, reservation, missed } = await noteBesideUnheardFailure(
      "paths-note-look@example.com",
    );
    handMadeNaming(payment.reference, reservation, "re_paths_note_look");
    const posts = file.world.refundCalls();

    await runNoteRefundJobs(file.world);
    const job = await jobOf(reservation);
    expect(job).toMatchObject({ status: "pending", attempts: 1 });
    const [lookUp, ...more] = await lookUpsOf(payment.id);
    expect([lookUp?.status, more]).toEqual(["pending", []]);
    expect(job.last_error).toContain(
      `Stripe has refund re_paths_note_look of 500 (minor units of USD) of payment ${payment.id}, but tokenbill's refunds of it that Stripe made or may make leave 400 of it: not recorded`,
    );
    expect(job.last_error).toContain(QUEUED(lookUp!.id));
    expect(job.last_error).toContain("this job's next attempt finds it so");
    expect(file.world.refundCalls()).toBe(posts);

    await runChargeLookUps();
    await runNoteRefundJobs(file.world);
    expect(await jobOf(reservation)).toMatchObject({ status: "done", attempts: 2 });
    expect(file.world.refundCalls()).toBe(posts);
    expect((await refundRowsOf(payment.id)).map((r) => [r.id, r.amount, r.status])).toEqual([
      [reservation, 250n, "failed"],
      [missed.id, 600n, "failed"],
      [expect.any(String), 500n, "succeeded"],
    ]);
    await checkLedger(file.world.db, file.world.context(), customerId);
  });
});

describe("a credit note's job whose ask Stripe answers with a refund that no longer fits", () => {
  it("says a look-up of the charge is queued, not that the refund was not made, and ends once that has run", async () => {
    const { customerId, payment, reservation, missed } = await noteBesideUnheardFailure(
      "paths-note-ask@example.com",
    );
    // Stripe makes the note's 2.50; before its answer comes, a 2.00 refund made by hand naming the reservation
    // ends it, leaving 2.00 of the payment beside the 6.00 tokenbill holds: too little for the 2.50.
    file.world.fake.beforeNextRefundAnswer = () =>
      handMadeRefundArrives(payment.reference, reservation, "re_paths_note_ask");
    await runNoteRefundJobs(file.world);
    expect(file.world.fake.beforeNextRefundAnswer).toBeNull();
    const own = stripeRefundOf(file.world, reservation);
    expect(own?.amount).toBe(250);

    const job = await jobOf(reservation);
    const [lookUp, ...more] = await lookUpsOf(payment.id);
    expect([lookUp?.status, more]).toEqual(["pending", []]);
    // Until 2026-12-07: failed for good, "refund … was not made, and it is released … refund the card by
    // hand", though Stripe had made it.
    expect(job).toMatchObject({ status: "pending", attempts: 1 });
    expect(job.last_error).not.toContain("was not made");
    expect(job.last_error).toContain(
      `Stripe has refund ${own!.id} of 250 (minor units of USD) of payment ${payment.id}, but tokenbill's refunds of it that Stripe made or may make leave 200 of it: not recorded`,
    );
    expect(job.last_error).toContain(QUEUED(lookUp!.id));
    expect(job.last_error).toContain("this job's next attempt finds it so");

    await runChargeLookUps();
    await runNoteRefundJobs(file.world);
    expect(await jobOf(reservation)).toMatchObject({ status: "done", attempts: 2 });
    expect(
      (await refundRowsOf(payment.id)).map((r) => [r.id, r.amount, r.status, r.provider_refund_id]),
    ).toEqual([
      [reservation, 250n, "failed", null],
      [missed.id, 600n, "failed", missed.provider_refund_id],
      [expect.any(String), 200n, "succeeded", "re_paths_note_ask"],
      [expect.any(String), 250n, "pending", own!.id],
    ]);
    await checkLedger(file.world.db, file.world.context(), customerId);
  });
});

describe("the look-up of an ended reservation that finds its own refund not fitting", () => {
  it("says in its error that a look-up of the charge is queued, and records its finding once that has run", async () => {
    const { customerId, payment, reservation, missed } =
      await noteBesideUnheardFailure("paths-ended@example.com");
    // Stripe made the note's 2.50 (its answer and its event lost); a 2.00 made by hand naming the reservation
    // ends it, leaving 2.00 of the payment beside the 6.00 tokenbill holds: too little for the 2.50.
    const own = file.world.fake.addRefund({
      id: "re_paths_ended_own",
      amount: 250,
      payment_intent: payment.reference,
      status: "succeeded",
      metadata: { tokenbill_refund_id: reservation },
    });
    await handMadeRefundArrives(payment.reference, reservation, "re_paths_ended_by_hand");

    await runLookUps();
    const job = await lookUpJobOf(reservation);
    expect(job).toMatchObject({ status: "pending", attempts: 1 });
    const [lookUp, ...more] = await lookUpsOf(payment.id);
    expect([lookUp?.status, more]).toEqual(["pending", []]);
    expect(job.last_error).toContain(
      `Stripe has refund ${own.id} of 250 (minor units of USD) of payment ${payment.id}, but tokenbill's refunds of it that Stripe made or may make leave 200 of it: not recorded`,
    );
    expect(job.last_error).toContain(QUEUED(lookUp!.id));
    expect(job.last_error).toContain("this job's next attempt finds it so");

    await runChargeLookUps();
    await runLookUps();
    expect(await lookUpJobOf(reservation)).toMatchObject({ status: "done", attempts: 2 });
    expect(
      (await refundRowsOf(payment.id)).map((r) => [r.id, r.amount, r.status, r.provider_refund_id]),
    ).toEqual([
      [reservation, 250n, "failed", null],
      [missed.id, 600n, "failed", missed.provider_refund_id],
      [expect.any(String), 200n, "succeeded", "re_paths_ended_by_hand"],
      [expect.any(String), 250n, "succeeded", own.id],
    ]);
    // 6.00 came back from the card; 2.00 and 2.50 went to it, the note's 2.50 among them: 2.00 owed.
    expect(await checkLedger(file.world.db, file.world.context(), customerId)).toMatchObject({
      credit: 0n,
      dueTotal: 200n,
    });
  });
});
