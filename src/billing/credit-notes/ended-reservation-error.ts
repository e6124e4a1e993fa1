import type { ServiceContext } from "../../kernel/context.ts";
import { PermanentJobError } from "../../jobs/job-errors.ts";
import { type FoundRefund, type PaymentProvider, providerLabel } from "../providers/payment-provider.ts";

// What a credit note's job says when the refund it found was applied and the reservation is ended, unlinked.
// Usually the refund found is of another amount and ended it. But a webhook of such a refund may end it while
// the job looks (between its check that the reservation is pending and its recording of what it found): then
// what the job found may be the reservation's own refund, recorded as a refund of the payment naming it, and
// until 2026-12-07 the job said of it "it cannot be this reservation's refund", or "another amount" of one it
// could not record. Each case now says what happened.

/** The job's error, failed for good: a retry finds the reservation ended and would end "done", hiding it. */
export async function endedReservationError(
  ctx: ServiceContext,
  provider: PaymentProvider,
  found: FoundRefund,
  reservation: { id: string; amount: bigint; currency: string },
): Promise<PermanentJobError> {
  const who = providerLabel(provider);
  const { id: refundId, currency } = reservation;
  const made = await ctx.db
    .selectFrom("refund")
    .select(["id", "amount"])
    .where("provider_refund_id", "=", found.refundRef)
    .executeTakeFirst();
  const notOurs = (made: { amount: bigint }) =>
    `${who} has refund ${found.refundRef} of ${made.amount} (minor units of ${currency}) naming refund ${refundId}, which reserved ${reservation.amount}: it cannot be this reservation's refund. It is recorded as a refund of the payment as ${who} made it, and the reservation is released: its amount is the customer's credit again and paid their open invoices. Not asked again: look in ${who}'s dashboard at who made ${found.refundRef}, and refund by hand whatever the customer is still owed on the card`;
  if (made && made.amount !== reservation.amount) return new PermanentJobError(notOurs(made));
  // Ended by another refund naming the reservation, whose webhook came while this job looked.
  const enders = await ctx.db
    .selectFrom("refund")
    .select(["amount", "provider_refund_id"])
    .where("names_refund_id", "=", refundId)
    .where("provider_refund_id", "is not", null)
    .where("provider_refund_id", "<>", found.refundRef)
    .where("amount", "<>", reservation.amount)
    .orderBy("created_at")
    .execute();
  const endedBy =
    enders.length === 0
      ? `another refund naming it (its webhook came while this job looked) ended the reservation`
      : `${who}'s refund ${enders.map((e) => `${e.provider_refund_id} of ${e.amount}`).join(", ")} (minor units of ${currency}) naming it, whose webhook came while this job looked, ended the reservation and is recorded as a refund of the payment as ${who} made it`;
  const lookAt = enders.map((e) => e.provider_refund_id).join(", ") || "the payment's refunds";
  if (made)
    return new PermanentJobError(
      `${who} has refund ${found.refundRef} of ${made.amount} (minor units of ${currency}), refund ${refundId}'s own: it is recorded as refund ${made.id} of the payment, so the card has the note's amount back and the credit it held is taken back. Meanwhile ${endedBy}. Not asked again: look in ${who}'s dashboard at who made ${lookAt}; the card may have got more back than the customer was owed`,
    );
  return new PermanentJobError(
    `${who} has refund ${found.refundRef} naming refund ${refundId}, which could not be recorded (its amount, ${found.amount} in ${who}'s units, is not a whole number of ${currency}'s minor units). Meanwhile ${endedBy}, so its amount is the customer's credit again and paid their open invoices. Not asked again: look in ${who}'s dashboard at ${found.refundRef} and ${lookAt}, record by hand what the card got, and refund by hand whatever the customer is still owed on the card`,
  );
}
