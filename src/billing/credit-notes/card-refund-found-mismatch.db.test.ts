import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { runnableKinds } from "../../app/job-catalog.ts";
import { sellerOf } from "../../delivery/delivery-settings.ts";
import { creditNoteOutcome } from "../documents/credit-note-content.ts";
import { formatMinor } from "../../domain/money.ts";
import { creditNoteDocumentOf } from "../statements/credit-note-document-of.ts";
import { JobRunner } from "../../jobs/job-runner.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { presentRefund } from "../payments/payment-schemas.ts";
import { paymentProviderOf } from "../providers/provider-from-config.ts";
import { askProviderForReservation } from "../providers/refund-through-provider.ts";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import { cardRefundReads, noteWhoseProcessDied, runNoteRefundJobs } from "./testing/pending-note-refund.ts";

// A refund in Stripe that names a credit note's reservation (metadata tokenbill_refund_id) but is for another
// amount than the reservation holds (made or edited by hand in the Dashboard): it cannot be the refund tokenbill
// asked for, since Stripe makes a request's refund for the amount asked or not at all. Until 2026-12-07 it was
// recorded as a refund of its own beside the reservation, which stayed pending: the customer's credit was held
// for a card refund that would never come while the card had that money back and the invoice owed it again.
// Now it ends the reservation as a release does (failed, its credit spendable), nothing is asked of Stripe
// again, and the job fails for good telling staff what happened.

const file = stripeWorldPerFile();

const { dueOf, statement, refundOf, jobOf } = cardRefundReads(() => file.world);

/** A $10.00 card-paid invoice whose $2.50 note's process died (Stripe never asked), and a $1.00 invoice open. */
async function reservationNobodyAsked(email: string) {
  const { customerId, invoice, payment } = await noteWhoseProcessDied(file.world, email);
  const [open] = (await issueInvoices(file.world.db, [{ customerId, total: 100n }])) as [string];
  const reservation = await file.world.db
    .selectFrom("refund")
    .select(["id", "amount"])
    .where("payment_id", "=", payment.id)
    .executeTakeFirstOrThrow();
  expect(reservation.amount).toBe(250n);
  return { customerId, invoice, payment, open, refundId: reservation.id };
}

/** The payment's refund rows, oldest first: the reservation, then any recorded from Stripe. */
const refundRowsOf = (paymentId: string) =>
  file.world.db
    .selectFrom("refund")
    .select(["id", "amount", "status", "provider_refund_id", "credit_note_id"])
    .where("payment_id", "=", paymentId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();

/**
 * What the note's documents (PDF, HTML, mail, portal) say became of its money, read as they read it, and the
 * ways the API's `settled` filter files it under.
 */
async function noteSays(refundId: string) {
  const { id: noteId, invoice_id: invoice } = await file.world.db
    .selectFrom("refund")
    .innerJoin("credit_note", "credit_note.id", "refund.credit_note_id")
    .select(["credit_note.id", "credit_note.invoice_id"])
    .where("refund.id", "=", refundId)
    .executeTakeFirstOrThrow();
  const doc = await creditNoteDocumentOf(file.world.db, noteId, sellerOf(file.world.context().config));
  const words = creditNoteOutcome(doc, (minor) => formatMinor(minor, doc.currency));
  const filedUnder: string[] = [];
  for (const settled of ["invoice", "refund", "credit"]) {
    const listed = await file.world.server.api(
      "GET",
      `/api/v1/credit-notes?invoice_id=${invoice}&settled=${settled}`,
    );
    expect(listed.status).toBe(200);
    if ((listed.body.data as { id: string }[]).some((n) => n.id === noteId)) filedUnder.push(settled);
  }
  return { words, filedUnder };
}

const askedUnderKeyOf = (refundId: string) =>
  file.world.fake.requests.filter((r) => r.method === "POST" && r.idempotencyKey === `tokenbill-${refundId}`)
    .length;

const stripeRefundsOf = (paymentIntent: string) =>
  [...file.world.fake.refunds.values()].filter((r) => r.payment_intent === paymentIntent);

describe("a refund in Stripe naming a credit note's reservation for another amount", () => {
  it("found by the job: the reservation is released, nothing is asked, and the job fails for good naming both", async () => {
    const { customerId, invoice, payment, open, refundId } =
      await reservationNobodyAsked("mismatch-1@example.com");
    // $2.00 of the $2.50 went back to the card, by hand in the Dashboard, naming the reservation.
    file.world.fake.addRefund({
      id: "re_mismatch_less",
      amount: 200,
      payment_intent: payment.reference,
      status: "succeeded",
      metadata: { tokenbill_refund_id: refundId },
    });

    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    await file.world.db
      .updateTable("job")
      .set({ run_after: new Date() })
      .where("slot", "=", `credit_note.refund:${refundId}`)
      .execute();
    const ctx = { ...file.world.context(), logger };
    await new JobRunner({
      db: file.world.db,
      logger,
      handlers: { "credit_note.refund": runnableKinds(ctx, "outbox")["credit_note.refund"]! },
    }).drain();

    // The card is not refunded again: Stripe was only looked at.
    expect(askedUnderKeyOf(refundId)).toBe(0);
    expect(stripeRefundsOf(payment.reference).map((r) => r.id)).toEqual(["re_mismatch_less"]);
    // Stripe's refund is recorded as it is; the reservation no longer holds the note's credit.
    expect(await refundRowsOf(payment.id)).toEqual([
      expect.objectContaining({ id: refundId, amount: 250n, status: "failed", provider_refund_id: null }),
      expect.objectContaining({
        amount: 200n,
        status: "succeeded",
        provider_refund_id: "re_mismatch_less",
        credit_note_id: null,
      }),
    ]);
    // The customer paid $10.00 for $7.50 (after the note) and owes $1.00 more; $2.00 came back: $0.50 owed.
    // Counted once: no credit is held for the card, none left beside what is owed.
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 50 });
    expect((await dueOf(invoice)) + (await dueOf(open))).toBe(50n);
    // The note says what went to the card and what stayed credit (until 2026-12-07 it read "could not be
    // refunded to your card, so it is kept as credit" for all $2.50, though $2.00 of it was on the card).
    expect(await noteSays(refundId)).toEqual({
      words:
        "$2.00 of it has been refunded to you. $0.50 of it could not be refunded to your card, so it is kept as credit on your account and pays your next invoices.",
      filedUnder: ["refund", "credit"],
    });

    // The job failed at once (no retry would change anything), saying what Stripe has and what to do.
    const job = await jobOf(refundId);
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(job.last_error).toContain(`Stripe has refund re_mismatch_less of 200`);
    expect(job.last_error).toContain(`naming refund ${refundId}, which reserved 250`);
    expect(job.last_error).toContain("Not asked again");
    expect(job.last_error).not.toContain("asking again");
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        msg: expect.stringContaining("Look in Stripe's dashboard at who made re_mismatch_less"),
      }),
    );

    // A staff retry would ask for nothing, the reservation ended: refused (until 2026-12-07 it ended "done").
    const retried = await file.world.server.api("POST", `/api/v1/jobs/${job.id}/retry`);
    expect([retried.status, retried.body.error.message]).toEqual([
      409,
      expect.stringContaining(`refund ${refundId} is failed with no payment provider refund behind it`),
    ]);
    await runNoteRefundJobs(file.world);
    expect(await jobOf(refundId)).toMatchObject({ status: "failed", attempts: 1 });
    expect(askedUnderKeyOf(refundId)).toBe(0);
    expect(await refundOf(refundId)).toEqual({ status: "failed", provider_refund_id: null });
  });

  it("told by its webhook, for more than was reserved: the reservation is released and the refund recorded", async () => {
    const { customerId, payment, refundId } = await reservationNobodyAsked("mismatch-2@example.com");
    const made = file.world.fake.addRefund({
      id: "re_mismatch_more",
      amount: 300,
      payment_intent: payment.reference,
      status: "succeeded",
      metadata: { tokenbill_refund_id: refundId },
    });
    const answer = await file.world.deliver(file.world.fake.event("refund.updated", made));
    expect([answer.status, answer.body.outcome]).toEqual([200, "processed"]);

    expect(await refundRowsOf(payment.id)).toEqual([
      expect.objectContaining({ id: refundId, status: "failed", provider_refund_id: null }),
      expect.objectContaining({ amount: 300n, status: "succeeded", provider_refund_id: "re_mismatch_more" }),
    ]);
    // Owed $7.50 + $1.00; paid $10.00, $3.00 back: $1.50 owed, no credit held for the card.
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 150 });
    // All the note's $2.50 went to the card (and $0.50 more of the payment, which is not the note's).
    expect(await noteSays(refundId)).toEqual({
      words: "This amount has been refunded to you.",
      filedUnder: ["refund"],
    });

    // The job, when it runs, finds the reservation ended and asks nothing.
    await runNoteRefundJobs(file.world);
    expect(await jobOf(refundId)).toMatchObject({ status: "done" });
    expect(askedUnderKeyOf(refundId)).toBe(0);
  });

  it("a refund Stripe makes for a reservation released meanwhile is recorded, not linked to the released row", async () => {
    const { customerId, payment, refundId } = await reservationNobodyAsked("mismatch-3@example.com");
    const made = file.world.fake.addRefund({
      id: "re_mismatch_race",
      amount: 100,
      payment_intent: payment.reference,
      status: "succeeded",
      metadata: { tokenbill_refund_id: refundId },
    });
    expect((await file.world.deliver(file.world.fake.event("refund.updated", made))).status).toBe(200);
    expect(await refundOf(refundId)).toEqual({ status: "failed", provider_refund_id: null });

    // The note's own request was still asking (it reserved the refund a moment before): Stripe makes $2.50.
    const ctx = file.world.context();
    const provider = (await paymentProviderOf(ctx.config))!;
    const row = await file.world.db
      .selectFrom("refund")
      .selectAll()
      .where("id", "=", refundId)
      .executeTakeFirstOrThrow();
    const asked = await askProviderForReservation(ctx, provider, payment, presentRefund(row), "outage");
    const ours = stripeRefundsOf(payment.reference).find((r) => r.id !== "re_mismatch_race");
    expect(ours?.amount).toBe(250);
    // The ask is answered with the refund Stripe made, recorded apart naming the reservation (until 2026-12-07
    // with the released reservation, failed, leaving the refund to its webhook).
    expect(asked.refund).toMatchObject({ amount: 250n, provider_refund_id: ours?.id });
    expect(asked.refund.id).not.toBe(refundId);
    await file.world.deliver(file.world.fake.settleRefund(ours?.id as string, "succeeded"));

    // Both card refunds are in the books; the released reservation stays released.
    expect(await refundRowsOf(payment.id)).toEqual([
      expect.objectContaining({ id: refundId, status: "failed", provider_refund_id: null }),
      expect.objectContaining({ amount: 100n, status: "succeeded", provider_refund_id: "re_mismatch_race" }),
      expect.objectContaining({ amount: 250n, status: "succeeded", provider_refund_id: ours?.id }),
    ]);
    // Owed $7.50 + $1.00; paid $10.00, $3.50 back: $2.00 owed.
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 200 });
    expect((await noteSays(refundId)).words).toBe("This amount has been refunded to you.");
  });
});
