import type { Selectable } from "kysely";
import type { RefundTable } from "../../db/schema.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { successAnswer } from "../../kernel/idempotency.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { RetryNotBeforeError } from "../../jobs/job-errors.ts";
import type { JobHandler } from "../../jobs/job-handler.ts";
import type { JobPayload } from "../../jobs/job-payloads.ts";
import { settleIdempotencyKeyOfRefund } from "../payments/idempotency-key.ts";
import { presentRefund } from "../payments/payment-schemas.ts";
import { providerLabel } from "./payment-provider.ts";
import { LookupNotCarriedOutError, lookUpRefundMade } from "./look-up-refund-made.ts";
import { paymentProviderOf } from "./provider-from-config.ts";

// A provider's refund of another amount naming a reservation ends it (applyRefundFact), and nothing asks for
// it again. But the reservation's own refund may exist too: an ask whose answer was lost (the note's request,
// its job) had made it, and its webhook was lost as well. Nobody looked again, so the card had the money back
// while the customer kept the note's amount as credit (until 2026-12-07). The ending enqueues this look-up, in
// its transaction, to run once any ask still in flight must be over; the refund found is recorded as its
// webhook would record it (a refund of the payment naming the reservation, taking the credit back), and its
// webhook, before or after, records nothing twice.

export type EndedReservationFinding = "own_refund_recorded" | "none" | "not_a_reservation";

/**
 * Looks in the provider for the ended reservation's own refund (the amount it reserved, naming it) and records
 * it, with any other refund naming it; nothing more when there is none. Either way a client's key waiting on
 * the reservation is answered with what became of it.
 */
export async function lookUpEndedReservation(
  ctx: ServiceContext,
  refundId: string,
): Promise<EndedReservationFinding> {
  const row = await ctx.db
    .selectFrom("refund")
    .innerJoin("payment", "payment.id", "refund.payment_id")
    .select(["refund.payment_id", "refund.amount", "payment.method", "payment.reference"])
    .where("refund.id", "=", refundId)
    .executeTakeFirst();
  if (!row) return "not_a_reservation";
  const provider = await paymentProviderOf(ctx.config);
  if (!provider || provider.name !== row.method)
    throw new Error(
      `refund ${refundId} is of a ${row.method} payment and ${row.method} is not configured: tokenbill cannot look whether it made the reservation's own refund (set its key, STRIPE_SECRET_KEY for Stripe, and restart)`,
    );
  const reservation = {
    refundId,
    paymentId: row.payment_id,
    paymentRef: row.reference,
    amount: row.amount,
  };
  const found = await lookUpRefundMade(ctx, provider, reservation);
  // The provider's refund for the amount reserved (findRefund ranks it first) is the reservation's own.
  const own = found
    ? await ctx.db
        .selectFrom("refund")
        .selectAll()
        .where("provider_refund_id", "=", found.refundRef)
        .where("names_refund_id", "=", refundId)
        .where("amount", "=", row.amount)
        .executeTakeFirst()
    : undefined;
  const who = providerLabel(provider);
  if (!own)
    ctx.logger.info(
      { refund: refundId },
      `${who} has no refund of the amount reserved for refund ${refundId}, which another refund naming it ended: nothing more to record`,
    );
  else if (found?.alreadyRecorded)
    // Its webhook, or a credit note's job looking at the same time as the ending, came first and said so.
    ctx.logger.info(
      { refund: refundId, recordedAs: own.id, providerRefund: own.provider_refund_id },
      `${who}'s refund ${own.provider_refund_id}, refund ${refundId}'s own, was recorded already as refund ${own.id} of the payment: nothing more to record`,
    );
  else
    ctx.logger.warn(
      { refund: refundId, recordedAs: own.id, providerRefund: own.provider_refund_id, status: own.status },
      `${who} had also made refund ${refundId}'s own refund, ${own.provider_refund_id} (its answer and its event lost): recorded as refund ${own.id} of the payment; the card has that money back, and the credit it held is taken back`,
    );
  await answerKeyOfEndedReservation(ctx, refundId, own);
  return own ? "own_refund_recorded" : "none";
}

/**
 * A client's Idempotency-Key still waiting on the reservation (an API refund whose answer was lost) is answered
 * now that what became of it is known, as the request would have been: with the refund the provider made for
 * it (a repeat must not make a second), or with the reservation as it ended, failed, when the provider made
 * none. Not freed for a repeat to ask again, as a release frees it: a refund naming the reservation was made
 * by hand, and nothing is asked of the provider for it again (applyRefundFact). Before the look-up the key
 * stays in flight, since an ask may still be running; until 2026-12-07 it stayed so for good.
 */
async function answerKeyOfEndedReservation(
  ctx: ServiceContext,
  refundId: string,
  own: Selectable<RefundTable> | undefined,
): Promise<void> {
  await withTransaction(ctx, async (tx) => {
    const refund =
      own ??
      (await tx.db.selectFrom("refund").selectAll().where("id", "=", refundId).executeTakeFirstOrThrow());
    await settleIdempotencyKeyOfRefund(tx.db, refundId, successAnswer(201, presentRefund(refund)), tx.now());
  });
}

/**
 * `refund.look_up_ended_reservation`: retried with the kind's backoff while the provider does not answer or
 * is not configured, at least its Retry-After when it rate-limits.
 */
export function endedReservationLookUpHandler(
  ctx: ServiceContext,
): JobHandler<JobPayload<"refund.look_up_ended_reservation">> {
  return async (job) => {
    const refundId = job.payload.refund_id;
    try {
      await lookUpEndedReservation(ctx, refundId);
    } catch (error) {
      if (error instanceof LookupNotCarriedOutError) {
        const refused = error.notCarriedOut;
        throw new RetryNotBeforeError(
          `${refused.upstream}: ${refused.message}; tokenbill could not look whether ${refused.upstream} made the own refund of refund ${refundId} (ended by a refund of another amount naming it): if it did, the card has that money back while the customer keeps it as credit. Retry this job once the cause is fixed`,
          refused.retryAfterMs ?? 0,
          { cause: refused },
        );
      }
      throw error;
    }
  };
}
