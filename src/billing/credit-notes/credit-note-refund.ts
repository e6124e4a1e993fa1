import type { ServiceContext } from "../../kernel/context.ts";
import type { JobHandler } from "../../jobs/job-handler.ts";
import type { JobPayload } from "../../jobs/job-payloads.ts";
import { presentRefund } from "../payments/payment-schemas.ts";
import { paymentProviderOf } from "../providers/provider-from-config.ts";
import { askProviderForReservation } from "../providers/refund-through-provider.ts";
import {
  type PaymentProvider,
  ProviderNotCarriedOutError,
  providerLabel,
} from "../providers/payment-provider.ts";
import { LookupNotCarriedOutError, lookUpRefundMade } from "../providers/look-up-refund-made.ts";
import { RefundBeyondPaymentError } from "../providers/refund-beyond-payment.ts";
import { endedReservationError } from "./ended-reservation-error.ts";
import { PermanentJobError, RetryNotBeforeError } from "../../jobs/job-errors.ts";
import { ServiceError } from "../../kernel/errors.ts";

// A credit note settled as a refund reserves each card payment's share in the note's own transaction: a
// pending refund row (credit_note_id set, no provider refund yet), which holds that much of the customer's
// credit (spendable-credit.ts) from the moment the note commits. The provider is asked after the commit, by
// the note's request and, in case that request never got to it (the process died) or got no answer, by a
// `credit_note.refund` job written with the note, which runs once the request's call must be over. Both ask
// with the reservation's id as the provider's idempotency key, so the refund is made at most once; and since
// Stripe forgets a key after 24 hours, the job first looks for a refund an earlier ask made. Until
// 2026-12-06 the row was written only after the commit: a payment or a finalization in between spent the
// credit the refund would then take back, and a crash in between left the card share as plain credit.

/** What became of a reservation asked for: `unanswered` when the provider did not say whether it made it. */
export type NoteRefundAsked = "asked" | "unanswered" | "settled_already" | "no_provider";

/**
 * Asks the provider for a credit note's reserved card refund, unless the reservation has been linked or
 * settled meanwhile (by this, by its webhook, or by a release). A refusal fails the reservation, which frees
 * its credit to pay open invoices (settleRefundIn), and is thrown. `lookFirst` (the note's job) first looks
 * for a refund an earlier ask made (recordRefundAlreadyMade); the note's own request, which reserved the
 * refund a moment ago and is the first to ask, does not.
 */
export async function askForCreditNoteRefund(
  ctx: ServiceContext,
  refundId: string,
  { lookFirst }: { lookFirst: boolean } = { lookFirst: false },
): Promise<NoteRefundAsked> {
  const row = await ctx.db
    .selectFrom("refund")
    .innerJoin("payment", "payment.id", "refund.payment_id")
    .selectAll("refund")
    .select(["payment.method", "payment.reference", "payment.amount as payment_amount"])
    .where("refund.id", "=", refundId)
    .executeTakeFirst();
  if (row?.status !== "pending" || row.provider_refund_id !== null) return "settled_already";
  const provider = await paymentProviderOf(ctx.config);
  if (!provider || provider.name !== row.method) return "no_provider";
  if (
    lookFirst &&
    (await recordRefundAlreadyMade(ctx, provider, row.reference, refundId, row.payment_id, row.amount))
  )
    return "asked";
  const { method, reference, payment_amount, ...refund } = row;
  const outcome = await askProviderForReservation(
    ctx,
    provider,
    { id: row.payment_id, method, reference, amount: payment_amount },
    presentRefund(refund),
    row.reason,
    undefined,
    "job",
  );
  return outcome.confirmed ? "asked" : "unanswered";
}

/**
 * Looks in the provider for a refund an earlier ask made for the reservation (its answer lost, its webhook
 * not come) and records it as the webhook would: true when there is one, which must not be asked for again.
 * Stripe keeps an idempotency key only 24 hours, and a staff retry of the failed job may run days after the
 * note: asked again under the forgotten key, Stripe would make a second refund (until 2026-12-07 it did).
 * The job looks before every ask, not only past the 24 hours: it runs only for a reservation still pending
 * and unlinked (rare: the note's request got no answer, or never asked), it is one request, and it leans on
 * no clock, ours or Stripe's. A look-up the provider does
 * not answer is thrown: nothing is asked for until it can say whether the refund exists.
 */
async function recordRefundAlreadyMade(
  ctx: ServiceContext,
  provider: PaymentProvider,
  paymentRef: string,
  refundId: string,
  paymentId: string,
  amount: bigint,
): Promise<boolean> {
  const found = await lookUpRefundMade(ctx, provider, { refundId, paymentId, paymentRef, amount });
  if (!found) return false;
  const after = await ctx.db
    .selectFrom("refund")
    .innerJoin("payment", "payment.id", "refund.payment_id")
    .select(["refund.status", "refund.provider_refund_id", "refund.amount", "payment.currency_code"])
    .where("refund.id", "=", refundId)
    .executeTakeFirstOrThrow();
  if (after.status === "pending" && after.provider_refund_id === null) {
    // Recorded as another row already (its metadata edited in the Dashboard to name the reservation), or an
    // amount that is not whole minor units (applyRefundFact logged it): every attempt finds the same refund
    // and the same books, so failed for good at once (until 2026-12-07 tried 12 times over about 10 hours).
    const who = providerLabel(provider);
    const elsewhere = await ctx.db
      .selectFrom("refund")
      .select("id")
      .where("provider_refund_id", "=", found.refundRef)
      .executeTakeFirst();
    const why = elsewhere
      ? `it is recorded already as refund ${elsewhere.id}`
      : `its amount, ${found.amount} in ${who}'s units, is not a whole number of ${after.currency_code}'s minor units`;
    throw new PermanentJobError(
      `${who} has refund ${found.refundRef} for refund ${refundId}, which could not be recorded against it (${why}): not asked again, and a retry of this job finds the same; refund ${refundId} stays pending, holding its amount (the customer's credit, spent on nothing). Look in ${who}'s dashboard at ${found.refundRef}, record by hand what the card got, then release the reservation (POST /api/v1/refunds/${refundId}/release) to make its amount the customer's credit`,
    );
  }
  if (after.status === "failed" && after.provider_refund_id === null) {
    // Another amount than reserved (applyRefundFact recorded it apart, ended the reservation and logged it),
    // or the reservation ended by such a refund's webhook while this job looked.
    throw await endedReservationError(ctx, provider, found, {
      id: refundId,
      amount: after.amount,
      currency: after.currency_code,
    });
  }
  ctx.logger.info(
    { refund: refundId, providerRefund: found.refundRef, status: found.status },
    "the payment provider had made a credit note's refund whose answer was lost: recorded, not asked again",
  );
  return true;
}

/** A refund row's status after a failed ask: "failed" when the provider refused, "pending" otherwise. */
export async function refundStatusOf(ctx: ServiceContext, refundId: string): Promise<string | undefined> {
  const row = await ctx.db
    .selectFrom("refund")
    .select("status")
    .where("id", "=", refundId)
    .executeTakeFirst();
  return row?.status;
}

/**
 * What holds while the reservation stays pending, and what staff can do, in every error the job throws for
 * it: once its attempts are spent the last one is what staff read in the failed jobs, so it must be true then
 * too (until 2026-12-07 some said "asking again" of a job that had given up).
 */
function stillHeld(refundId: string, fix: string): string {
  return `refund ${refundId} stays pending, holding its amount (the customer's credit, spent on nothing) until Stripe's event settles it or an attempt of this job makes or finds the refund; ${fix}, then retry this job if it has given up, or release the reservation (POST /api/v1/refunds/${refundId}/release) to make its amount the customer's credit`;
}

/**
 * `credit_note.refund`: asks until the provider answers. A reservation the provider refused is failed (its
 * credit freed) and the job fails for good at once, for staff to see why; one it left unanswered, did not
 * carry out (a rate limit, our key refused) or that no configured provider can make is tried again with the
 * kind's backoff (at least the provider's Retry-After), and staff may release it (POST
 * /api/v1/refunds/{id}/release). One no attempt can make (an amount the provider cannot refund exactly)
 * fails the reservation and the job for good at once.
 */
export function creditNoteRefundHandler(ctx: ServiceContext): JobHandler<JobPayload<"credit_note.refund">> {
  return async (job) => {
    const refundId = job.payload.refund_id;
    let asked: NoteRefundAsked;
    try {
      asked = await askForCreditNoteRefund(ctx, refundId, { lookFirst: true });
    } catch (error) {
      // A refund the provider has that is not this reservation's (recordRefundAlreadyMade): for staff.
      if (error instanceof PermanentJobError) throw error;
      if ((await refundStatusOf(ctx, refundId)) === "pending") {
        // Rate-limited, or our key refused: nothing was made. Retried with the kind's backoff, or later if
        // the provider asked (Retry-After); a refused key is no reason to give up (401 is not retryable to an
        // API caller), since the operator's fix of the key lets the next attempt pay the card back. The
        // message is the job's last error, also once its attempts are spent (the runner adds "gave up after
        // …"): it says what holds then, not "asking again", which until 2026-12-07 it said of a failed job.
        if (error instanceof LookupNotCarriedOutError) {
          const refused = error.notCarriedOut;
          throw new RetryNotBeforeError(
            `${refused.upstream}: ${refused.message}; tokenbill could not look whether ${refused.upstream} has a refund for refund ${refundId}, and asked for none: ${stillHeld(refundId, fixOf(refused))}`,
            refused.retryAfterMs ?? 0,
            { cause: refused },
          );
        }
        if (error instanceof ProviderNotCarriedOutError)
          throw new RetryNotBeforeError(
            `${error.upstream}: ${error.message}; no refund was made: ${stillHeld(refundId, fixOf(error))}`,
            error.retryAfterMs ?? 0,
            { cause: error },
          );
        // Anything else (the look-up unanswered, the database): retried, or not, as it was, its error saying
        // what holds. A refund found that cannot be recorded is a PermanentJobError, thrown above.
        const said = `${(error as Error)?.message ?? String(error)}: ${stillHeld(refundId, "once the cause is fixed")}`;
        if ((error as { retryable?: unknown })?.retryable === false)
          throw new PermanentJobError(said, { cause: error });
        throw new Error(said, { cause: error });
      }
      if (error instanceof RefundBeyondPaymentError)
        // The provider made the refund asked, but the reservation ended meanwhile (a refund of another amount
        // naming it) and the refund does not fit beside the payment's others: its error says the look-up of
        // the charge that records it is queued. Retried: the next attempt finds the reservation ended and
        // ends. Until 2026-12-07 it failed for good saying the refund was not made, to be refunded by hand.
        throw new Error(error.message, { cause: error });
      if (error instanceof ServiceError && error.code === "VALIDATION") {
        // Refused before the provider was asked (askProviderForReservation failed the reservation): an amount
        // it cannot refund exactly (Stripe: KWD in multiples of 0.010), which no attempt can change. Until
        // 2026-12-07 the job ended "done" with a warning any refusal gets, and staff never saw it.
        throw new PermanentJobError(
          `${error.message}: refund ${refundId} was not asked for, and no attempt could make it; it is released: its amount is the customer's credit (it paid their open invoices first). Refund the card by hand in the payment provider's dashboard if the customer is owed it there`,
          { cause: error },
        );
      }
      if (await releasedUnmade(ctx, refundId))
        // The provider refused the ask (a 4xx: the charge refunded already, disputed, …) and
        // askProviderForReservation released the reservation: nothing was made, and no attempt can change
        // that. Until 2026-12-07 the job ended "done" with a warning in the log, and staff never saw it.
        throw new PermanentJobError(
          `${(error as Error)?.message ?? String(error)}: refund ${refundId} was not made, and it is released: its amount is the customer's credit (it paid their open invoices first). Not asked again: a retry of this job asks for nothing and only ends it. Look in the payment provider's dashboard at the payment (a refund made there, a dispute), and refund the card by hand if the customer is owed it there`,
          { cause: error },
        );
      // Linked or settled meanwhile (its webhook was faster): the next attempt finds it so and ends.
      throw error;
    }
    if (asked === "unanswered")
      throw new Error(
        `the payment provider did not say whether it made refund ${refundId} (its idempotency key keeps it to one refund; the next attempt looks for it first): ${stillHeld(refundId, "once the provider answers again")}`,
      );
    if (asked === "no_provider")
      throw new Error(
        `refund ${refundId} is of a payment whose provider is not configured: ${stillHeld(refundId, "set its key (STRIPE_SECRET_KEY for Stripe) and restart")}`,
      );
  };
}

/** Whether the reservation ended with no provider refund behind it: failed, unlinked (released). */
async function releasedUnmade(ctx: ServiceContext, refundId: string): Promise<boolean> {
  const row = await ctx.db
    .selectFrom("refund")
    .select(["status", "provider_refund_id"])
    .where("id", "=", refundId)
    .executeTakeFirst();
  return row?.status === "failed" && row.provider_refund_id === null;
}

/** What staff do about a request the provider did not carry out. */
function fixOf(error: ProviderNotCarriedOutError): string {
  return error.why === "key_refused"
    ? "set STRIPE_SECRET_KEY to a key with write access to refunds and restart"
    : "a rate limit passes by itself";
}
