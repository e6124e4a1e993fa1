import { describe, expect, it } from "vitest";
import { endedReservationSteps, recordingLogger } from "../credit-notes/testing/ended-reservation.ts";
import { checkLedger } from "../payments/testing/ledger-invariants.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import { chargeLookUpSteps } from "./testing/charge-look-up.ts";

// A refund Stripe made that does not fit even with every reservation of its payment ended: tokenbill's books
// hold a fact Stripe does not, most often a refund recorded succeeded whose `refund.failed` tokenbill never
// processed (the customer's bank returned it). Until 2026-12-07 the refused refund waited for Stripe to send
// that failure again, which is slow or never comes. Now the refusal queues a look-up of the charge's refunds
// (one per payment), which records the missed failure as Stripe holds it; the refused refund then fits.

const serverLog = recordingLogger();
const file = stripeWorldPerFile({ logger: serverLog.logger });
const { refundRowsOf } = endedReservationSteps(() => file.world);
const { paidAndRefunded, lookUpsOf, runChargeLookUps: runLookUps } = chargeLookUpSteps(() => file.world);

const eventRow = (eventId: string) =>
  file.world.db
    .selectFrom("provider_event")
    .select(["processed_at", "error"])
    .where("event_id", "=", eventId)
    .executeTakeFirstOrThrow();

describe("a Dashboard refund that does not fit beside a refund tokenbill holds succeeded and Stripe failed", () => {
  it("is refused once with a look-up queued; the look-up records the failure, and the refund then fits", async () => {
    const { customerId, payment, made } = await paidAndRefunded("charge-look-up-1@example.com", 300);
    expect(await checkLedger(file.world.db, file.world.context(), customerId)).toMatchObject({
      credit: 0n,
      dueTotal: 300n,
    });
    // The bank returns the 300 (its refund.failed never reaches tokenbill); a failed Dashboard refund of 100,
    // whose events were lost too, stands in the list; staff then refund 800 in the Dashboard.
    file.world.fake.settleRefund(made.provider_refund_id, "failed");
    file.world.fake.addRefund({
      id: "re_charge_look_up_failed_1",
      amount: 100,
      payment_intent: payment.reference,
      status: "failed",
    });
    const byHand = file.world.fake.addRefund({
      id: "re_charge_look_up_by_hand_1",
      amount: 800,
      payment_intent: payment.reference,
      status: "succeeded",
    });
    const event = file.world.fake.event("refund.created", byHand);

    // Refused (700 is left beside the 300 tokenbill holds succeeded), saying a look-up is queued; the second
    // delivery queues no second one.
    for (const _ of [1, 2]) expect((await file.world.deliver(event)).status).toBe(500);
    const [job, ...more] = await lookUpsOf(payment.id);
    expect(more).toEqual([]);
    expect(job).toMatchObject({ status: "pending", payload: { payment_id: payment.id } });
    const { error } = await eventRow(event.id);
    expect(error).toContain(
      `Stripe has refund re_charge_look_up_by_hand_1 of 800 (minor units of USD) of payment ${payment.id}, but tokenbill's refunds of it that Stripe made or may make leave 700 of it: not recorded`,
    );
    expect(error).toContain(`A look-up of the charge's refunds in Stripe is queued (job ${job!.id})`);
    expect(await refundRowsOf(payment.id)).toHaveLength(1);

    // Stripe lists a refund a page, so the look-up must read every page to find the failure.
    file.world.fake.refundsPerPage = 1;
    const lines = await runLookUps().finally(() => {
      file.world.fake.refundsPerPage = 100;
    });
    expect((await lookUpsOf(payment.id)).map((j) => [j.status, j.attempts])).toEqual([["done", 1]]);
    const rows = await refundRowsOf(payment.id);
    expect(rows.map((r) => [r.amount, r.status, r.provider_refund_id])).toEqual([
      [300n, "failed", made.provider_refund_id],
      [100n, "failed", "re_charge_look_up_failed_1"],
      [800n, "succeeded", "re_charge_look_up_by_hand_1"],
    ]);
    expect(rows[0]!.id).toBe(made.id);
    // The 300 came back from the card, so it pays the invoice again; then 800 went to the card: 800 owed.
    expect(await checkLedger(file.world.db, file.world.context(), customerId)).toMatchObject({
      credit: 0n,
      dueTotal: 800n,
    });
    const said = lines.filter((l) => l.level === 40 && l.msg.includes(payment.id)).map((l) => l.msg);
    expect(said).toEqual([
      expect.stringContaining(`${made.provider_refund_id} (refund ${made.id}) succeeded → failed`),
    ]);
    expect(said[0]).toContain(`re_charge_look_up_by_hand_1 recorded as refund ${rows[2]!.id}, succeeded`);

    // Stripe's next delivery of the refused event finds its refund recorded: nothing twice.
    const next = await file.world.deliver(event);
    expect([next.status, next.body.outcome]).toEqual([200, "ignored"]);
    expect(await eventRow(event.id)).toMatchObject({ processed_at: expect.any(Date), error: null });
    expect(await refundRowsOf(payment.id)).toHaveLength(3);
    expect(await lookUpsOf(payment.id)).toHaveLength(1);
  });
});

describe("a request's refund that does not fit beside a refund tokenbill holds succeeded and Stripe failed", () => {
  it("is answered 409 saying Stripe made it and a look-up was queued, which records it", async () => {
    const { customerId, payment, path, made } = await paidAndRefunded("charge-look-up-2@example.com", 600);
    file.world.fake.settleRefund(made.provider_refund_id, "failed");
    // Stripe makes the 400 asked; before its answer comes, a refund of 100 made by hand naming the reservation
    // ends it (left beside the 600 tokenbill holds: 300, too little for the 400 answered).
    file.world.fake.beforeNextRefundAnswer = async (asked) => {
      const other = file.world.fake.addRefund({
        id: "re_charge_look_up_by_hand_2",
        amount: 100,
        payment_intent: payment.reference,
        status: "succeeded",
        metadata: { tokenbill_refund_id: asked.metadata["tokenbill_refund_id"]! },
      });
      expect((await file.world.deliver(file.world.fake.event("refund.updated", other))).status).toBe(200);
    };
    file.world.fake.refundStatusOnCreate = "succeeded";
    const asked = await file.world.post(path, { amount: 400 }).finally(() => {
      file.world.fake.refundStatusOnCreate = "pending";
    });
    expect(asked.status).toBe(409);
    expect(asked.body.error.message).toContain(
      `but tokenbill's refunds of it that Stripe made or may make leave 300 of it: not recorded`,
    );
    const [job, ...more] = await lookUpsOf(payment.id);
    expect([job?.status, more]).toEqual(["pending", []]);
    expect(asked.body.error.message).toContain(
      `A look-up of the charge's refunds in Stripe is queued (job ${job!.id}): it applies each refund's status as Stripe holds it, so a failure tokenbill missed is recorded and its money returned; Stripe made this refund for this request, and the look-up records it: do not refund it again`,
    );

    await runLookUps();
    const answered = [...file.world.fake.refunds.values()].find((r) => r.amount === 400)!;
    expect((await refundRowsOf(payment.id)).map((r) => [r.amount, r.status, r.provider_refund_id])).toEqual([
      [600n, "failed", made.provider_refund_id],
      [400n, "failed", null],
      [100n, "succeeded", "re_charge_look_up_by_hand_2"],
      [400n, "succeeded", answered.id],
    ]);
    // 600 back from the card pays the invoice again; 100 and 400 went to the card: 500 owed.
    expect(await checkLedger(file.world.db, file.world.context(), customerId)).toMatchObject({
      credit: 0n,
      dueTotal: 500n,
    });
  });
});

describe("a refund beyond a payment recorded by hand for less than Stripe's charge", () => {
  it("fails the look-up for good, naming the refund, and a later delivery queues no second one", async () => {
    const [customerId] = (await createCustomers(file.world.handle, [
      { email: "charge-look-up-3@example.com" },
    ])) as [bigint];
    const [invoice] = (await issueInvoices(file.world.db, [{ customerId, total: 1000n }])) as [string];
    const recorded = await file.world.post(`/api/v1/invoices/${invoice}/payments`, {
      amount: 500,
      method: "stripe",
      reference: "pi_charge_look_up_by_hand_3",
    });
    expect(recorded.status).toBe(201);
    const paymentId = recorded.body.data.id as string;
    const byHand = file.world.fake.addRefund({
      id: "re_charge_look_up_by_hand_3",
      amount: 800,
      payment_intent: "pi_charge_look_up_by_hand_3",
      status: "succeeded",
    });
    const event = file.world.fake.event("refund.created", byHand);
    expect((await file.world.deliver(event)).status).toBe(500);

    // Stripe holds nothing tokenbill missed: the refund still does not fit, and the job says so for staff.
    await runLookUps();
    const [job, ...more] = await lookUpsOf(paymentId);
    expect([job?.status, job?.attempts, more]).toEqual(["failed", 1, []]);
    expect(job!.last_error).toContain(
      `looked up every refund of payment ${paymentId}'s charge, finding nothing tokenbill had missed, yet: Stripe has refund re_charge_look_up_by_hand_3 of 800 (minor units of USD) of payment ${paymentId}, but tokenbill's refunds of it that Stripe made or may make leave 500 of it: not recorded`,
    );
    expect(await refundRowsOf(paymentId)).toEqual([]);

    // Stripe's next delivery is refused again, pointing at the failed job rather than queueing another.
    expect((await file.world.deliver(event)).status).toBe(500);
    expect(await lookUpsOf(paymentId)).toHaveLength(1);
    expect((await eventRow(event.id)).error).toContain(
      `A look-up of the charge's refunds in Stripe (job ${job!.id}) failed for good`,
    );
    // Nothing is recorded until staff retry it: the words do not say it records the refund meanwhile.
    expect((await eventRow(event.id)).error).toContain(
      "this refund is recorded by it once retried, or by Stripe's next delivery of this event after that",
    );
    expect(await checkLedger(file.world.db, file.world.context(), customerId)).toMatchObject({
      credit: 0n,
      dueTotal: 500n,
    });
  });
});
