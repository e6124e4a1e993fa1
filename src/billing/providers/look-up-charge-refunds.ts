import type { ServiceContext } from "../../kernel/context.ts";
import { type TxContext, withTransaction } from "../../kernel/transaction.ts";
import { PermanentJobError, RetryNotBeforeError } from "../../jobs/job-errors.ts";
import type { JobHandler } from "../../jobs/job-handler.ts";
import type { JobPayload } from "../../jobs/job-payloads.ts";
import { applyRefundFact } from "./apply-refund-fact.ts";
import { ProviderNotCarriedOutError, providerLabel, type RefundChanged } from "./payment-provider.ts";
import { paymentProviderOf } from "./provider-from-config.ts";
import { RefundBeyondPaymentError } from "./refund-beyond-payment.ts";

// A provider's refund that did not fit even with every reservation of its payment ended was refused
// (refund-beyond-payment.ts): a fact tokenbill missed stands between the books and the provider, most often a
// refund recorded succeeded whose failure (`refund.failed`) was never processed. Until 2026-12-07 only the
// provider's resend of that event mended it, if it came. This look-up reads every refund the provider holds of
// the charge and applies each as its webhook would (applyRefundFact: forward only, refund-status-order.ts), so
// the missed failure is recorded (its money back where billing-rules §7 puts it) and the refused refund, then,
// fits. Refunds tokenbill has no row of (made in the dashboard) are recorded as their webhooks record them.

/** What the look-up did to one refund of the charge, as the log says it. */
interface Change {
  providerRefund: string;
  refund: string;
  was: string;
  now: string;
}

export interface ChargeLookedUp {
  /** The refunds of the charge whose rows it changed (recorded, linked or moved forward). */
  changed: Change[];
  /** The provider's refunds that still do not fit beside the others: the payment differs otherwise. */
  beyond: RefundBeyondPaymentError[];
}

/**
 * Looks up every refund the provider holds of payment `paymentId`'s charge and applies each, each in its own
 * transaction: failures first (they hold nothing and only make room), then the rest oldest first, as the
 * provider made them. Logs what it changed. Null when the payment is not there any more.
 */
export async function lookUpChargeRefunds(
  ctx: ServiceContext,
  paymentId: string,
): Promise<ChargeLookedUp | null> {
  const payment = await ctx.db
    .selectFrom("payment")
    .select(["id", "method", "reference"])
    .where("id", "=", paymentId)
    .executeTakeFirst();
  if (!payment) return null;
  const provider = await paymentProviderOf(ctx.config);
  if (!provider || provider.name !== payment.method)
    throw new Error(
      `payment ${paymentId} is a ${payment.method} payment and ${payment.method} is not configured: tokenbill cannot look up its refunds (set its key, STRIPE_SECRET_KEY for Stripe, and restart)`,
    );
  const listed = await provider.listRefunds(payment.reference);
  const ordered = [
    ...listed.filter((r) => r.status === "failed"),
    ...listed.filter((r) => r.status !== "failed"),
  ];
  const changed: Change[] = [];
  const beyond: RefundBeyondPaymentError[] = [];
  for (const fact of ordered) {
    try {
      const change = await withTransaction(ctx, (tx) => applyListedRefund(tx, provider, fact));
      if (change) changed.push(change);
    } catch (error) {
      // The others are applied still: what they mend stays mended, and the job says what is left.
      if (!(error instanceof RefundBeyondPaymentError)) throw error;
      beyond.push(error);
    }
  }
  const who = providerLabel(provider);
  if (changed.length > 0)
    ctx.logger.warn(
      { payment: paymentId, charge: payment.reference, changed },
      `${who}'s refunds of payment ${paymentId} looked up (charge ${payment.reference}): ${changed
        .map(
          (c) =>
            `${c.providerRefund} ${c.was === "none" ? `recorded as refund ${c.refund}, ${c.now}` : `(refund ${c.refund}) ${c.was} → ${c.now}`}`,
        )
        .join("; ")}: tokenbill had missed ${changed.length > 1 ? "these" : "this"}, as ${who} holds them`,
    );
  else
    ctx.logger.info(
      { payment: paymentId, charge: payment.reference },
      `${who}'s refunds of payment ${paymentId} looked up (charge ${payment.reference}): tokenbill's rows already say what ${who} holds`,
    );
  return { changed, beyond };
}

/** Applies one listed refund as its webhook would; what it changed, or null. */
async function applyListedRefund(
  tx: TxContext,
  provider: Parameters<typeof applyRefundFact>[1],
  fact: RefundChanged,
): Promise<Change | null> {
  const rowOf = () =>
    tx.db
      .selectFrom("refund")
      .select(["id", "status"])
      .where("provider_refund_id", "=", fact.refundRef)
      .executeTakeFirst();
  const before = await rowOf();
  if (!(await applyRefundFact(tx, provider, fact))) return null;
  const after = await rowOf();
  if (!after) return null;
  // A reservation it linked had no provider refund before: it was that reservation, pending.
  return {
    providerRefund: fact.refundRef,
    refund: after.id,
    was: before?.status ?? (fact.tokenbillRefundId === after.id ? "pending (unlinked)" : "none"),
    now: after.status,
  };
}

/**
 * `refund.look_up_charge`: retried with the kind's backoff while the provider does not answer or is not
 * configured, at least its Retry-After when it rate-limits; failed for good when refunds still do not fit
 * after it, for staff, whose retry looks again once the payment is mended.
 */
export function chargeRefundsLookUpHandler(
  ctx: ServiceContext,
): JobHandler<JobPayload<"refund.look_up_charge">> {
  return async (job) => {
    const paymentId = job.payload.payment_id;
    let found: ChargeLookedUp | null;
    try {
      found = await lookUpChargeRefunds(ctx, paymentId);
    } catch (error) {
      if (error instanceof ProviderNotCarriedOutError)
        throw new RetryNotBeforeError(
          `${error.upstream}: ${error.message}; tokenbill could not look up the refunds of payment ${paymentId}'s charge, so a refund of it that did not fit stays unrecorded. Retry this job once the cause is fixed`,
          error.retryAfterMs ?? 0,
          { cause: error },
        );
      throw error;
    }
    if (found === null) {
      ctx.logger.info({ payment: paymentId }, `payment ${paymentId} is gone: no refunds to look up`);
      return;
    }
    if (found.beyond.length > 0)
      throw new PermanentJobError(
        `looked up every refund of payment ${paymentId}'s charge${found.changed.length > 0 ? ` and recorded what tokenbill had missed (${found.changed.map((c) => c.providerRefund).join(", ")})` : ", finding nothing tokenbill had missed"}, yet: ${found.beyond.map((e) => e.message).join(" — ")}. Retry this job once the payment is mended`,
      );
  };
}
