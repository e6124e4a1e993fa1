import type { Selectable } from "kysely";
import type { PaymentTable, RefundTable } from "../../db/schema.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError, UpstreamError } from "../../kernel/errors.ts";
import type { IdempotencyRequest } from "../../kernel/idempotency.ts";
import { type TxContext, withTransaction } from "../../kernel/transaction.ts";
import { presentRefund, type Refund } from "../payments/payment-schemas.ts";
import {
  answerIdempotencyKey,
  answerIdempotencyKeyWithError,
  claimIdempotencyKey,
} from "../../kernel/idempotency-key.ts";
import { linkIdempotencyKeyToRefund } from "../payments/idempotency-key.ts";
import { lockCustomerForMoney } from "../payments/invoice-settlement.ts";
import { recordRefundIn, settleRefundIn } from "../payments/refund-payment.ts";
import { applyRefundOfPayment } from "./apply-refund-fact.ts";
import {
  type PaymentProvider,
  type ProviderRefund,
  ProviderNotCarriedOutError,
  ProviderOutcomeUnknownError,
} from "./payment-provider.ts";
import { paymentProviderOf } from "./provider-from-config.ts";
import { chargeLookUpFor } from "./refund-beyond-payment.ts";

// A refund of a provider's payment goes back through the provider (issue 11 item 4). The amount is reserved
// first: a *pending* refund row, written under the customer's lock, which holds its amount and writes no
// ledger entry. Only then is the provider asked, with that row's id as the request's idempotency key and in
// the refund's metadata. Two refunds at once cannot both reach the provider for the same money (before, both
// passed a check made without the lock, the provider paid both, and the second was refused only after).
// The provider's answer, when it says the refund ended, or else its signed webhook settles the row, each only
// forward (refund-status-order.ts), and only then does the amount due reopen. A refusal fails the reservation and frees its amount. No answer, or one that does not say
// whether the refund was made (a dropped connection, a timeout, a 5xx after the SDK's retries, Stripe's 409
// for the key still in flight), leaves the reservation pending and holding its amount: the provider may have
// made the refund (its idempotency key kept it to one), and its webhook settles the reservation by the
// refund's metadata; if none comes, releaseRefundReservation asks the provider. Until 2026-12-06 such a reservation was failed at once, its
// amount freed, and staff who tried again refunded the customer twice.

/** The payment a refund goes back to, as far as the provider needs it. */
export type ProviderPayment = Pick<Selectable<PaymentTable>, "id" | "method" | "reference" | "amount">;

/**
 * Who asks again when the provider did not carry the request out (ProviderNotCarriedOutError: a rate limit,
 * our key refused): `caller`, the API's client, to whom the error goes with the reservation failed (nothing
 * will ask for it again); `job`, a job that retries, for which the reservation stays pending, holding its
 * amount (a credit note's card refund: failed, its credit would pay open invoices and never reach the card).
 */
export type AskedAgainBy = "caller" | "job";

/** A refund asked of the provider: `confirmed` false when the provider did not say whether it made it. */
export interface ProviderRefundOutcome {
  refund: Refund;
  confirmed: boolean;
}

/**
 * Reserves `amount` of `payment`, asks the provider to refund it and links the provider's refund to the
 * reservation. An amount above what is left to refund is VALIDATION before the provider is asked; the
 * provider's own refusal is a CONFLICT. A call the provider left unanswered keeps the reservation pending
 * (`confirmed` false). Call it outside an open transaction: the reservation must be committed before the
 * provider moves money, and nothing is locked while the provider answers.
 */
export async function refundThroughProvider(
  ctx: ServiceContext,
  payment: ProviderPayment,
  amount: bigint,
  reason: string | undefined,
  creditNoteId: string | null = null,
  idempotency?: IdempotencyRequest,
): Promise<ProviderRefundOutcome> {
  const provider = await paymentProviderOf(ctx.config);
  if (!provider || provider.name !== payment.method)
    throw new ServiceError(
      "CONFLICT",
      `payment ${payment.id} was made through ${payment.method}, which is not configured: refund it in ` +
        `${payment.method}'s dashboard (its webhook records the refund) or set STRIPE_SECRET_KEY`,
    );
  // An amount the provider cannot move exactly (Stripe: 0.005 KWD) is refused before anything is reserved:
  // asked anyway, the provider refuses it, and a refund is never rounded to what it can move.
  const currency = await currencyOfPayment(ctx, payment.id);
  const refusal = provider.refundRefusal(amount, currency);
  if (refusal !== null) throw ServiceError.validation("amount", refusal);
  // The key is claimed with the reservation and left unanswered (in flight) until the provider answers: a
  // repeat meanwhile is a 409, never a second reservation; releaseRefundReservation answers it after a crash.
  const reserved = await withTransaction(ctx, async (tx) => {
    await claimIdempotencyKey(tx, idempotency);
    const row = await recordRefundIn(tx.db, tx, {
      payment_id: payment.id,
      amount,
      reason: reason ?? "",
      status: "pending",
      credit_note_id: creditNoteId,
    });
    await linkIdempotencyKeyToRefund(tx, idempotency, row.id);
    return row;
  });
  return askProviderForReservation(ctx, provider, payment, reserved, reason, idempotency);
}

/**
 * Asks the provider to make the refund a committed pending reservation (`reserved`) holds, with the
 * reservation's id as the request's idempotency key, and links the provider's refund to it. A refusal fails
 * the reservation (frees its amount) and is thrown; a call left unanswered keeps it pending (`confirmed`
 * false). Asked again for the same reservation, the provider answers with the refund it made the first time
 * (Stripe keeps an idempotency key 24 hours), so a retry within them never refunds twice; a credit note's
 * job, which may be retried days later, looks for that refund first (credit-note-refund.ts). Call it outside a
 * transaction.
 */
export async function askProviderForReservation(
  ctx: ServiceContext,
  provider: PaymentProvider,
  payment: ProviderPayment,
  reserved: Refund,
  reason: string | undefined,
  idempotency?: IdempotencyRequest,
  askedAgainBy: AskedAgainBy = "caller",
): Promise<ProviderRefundOutcome> {
  const currency = await currencyOfPayment(ctx, payment.id);
  let made: ProviderRefund;
  try {
    made = await provider.refund({
      paymentRef: payment.reference,
      amount: reserved.amount,
      currency,
      reason,
      paymentId: payment.id,
      refundId: reserved.id,
    });
  } catch (error) {
    if (askedAgainBy === "job" && error instanceof ProviderNotCarriedOutError) {
      logNotCarriedOut(ctx, error, reserved.id, payment.id);
      throw error;
    }
    if (!saysNoRefundWasMade(error)) {
      // The Idempotency-Key stays in flight with the reservation (a repeat is a 409, never a second
      // refund); the webhook or the release answers it.
      ctx.logger.warn(
        { err: error, refund: reserved.id, payment: payment.id },
        "the payment provider did not say whether it made the refund: the reservation stays pending, holding its amount, until its webhook settles it or it is released",
      );
      return { refund: reserved, confirmed: false };
    }
    // Unless the provider's webhook has meanwhile linked the reservation to a refund it did make.
    // The refusal is the key's answer (as Stripe keeps its own errors): the reservation is released, and a
    // repeat with the key must not ask the provider a second time for money it may have moved after all.
    await withTransaction(ctx, async (tx) => {
      await settleRefundIn(tx.db, tx, { refund_id: reserved.id, status: "failed", onlyUnlinked: true });
      await answerIdempotencyKeyWithError(tx, idempotency, error);
    });
    throw error;
  }
  try {
    return await withTransaction(ctx, async (tx) => {
      const refund = presentRefund(await rowOfAnsweredRefund(tx, provider, payment, reserved, made, reason));
      await answerIdempotencyKey(tx, idempotency, refund);
      return { refund, confirmed: true };
    });
  } catch (error) {
    // The provider made the refund, but it does not fit beside tokenbill's refunds of the payment: a look-up
    // of the charge is queued, and the 409 (or the credit note job's error) says so (refund-beyond-payment.ts).
    throw await chargeLookUpFor(ctx, error, askedAgainBy === "job" ? "job" : "request");
  }
}

/**
 * The refund row the provider's answer (`made`) is, in the request's transaction, recorded as its webhook
 * records it (applyRefundOfPayment, the same code): the reservation, linked now or already by the refund's
 * webhook, which was faster; else, when the reservation was no longer pending and unlinked (a refund of another
 * amount naming it ended it, a release failed it), the refund recorded apart, a refund of the payment naming the
 * reservation. The answer's status moves the row only forward (refund-status-order.ts): an answer older than
 * the webhook changes nothing, and a final status told only by the answer is recorded. Until 2026-12-07 the
 * answer's status was dropped, so a refund its webhook had recorded pending stayed pending though the answer
 * said succeeded; and before that day the request left a reservation ended meanwhile to the webhook, and
 * answered with it, failed, though the card got the money.
 */
async function rowOfAnsweredRefund(
  tx: TxContext,
  provider: PaymentProvider,
  payment: ProviderPayment,
  reserved: Refund,
  made: ProviderRefund,
  reason: string | undefined,
): Promise<Selectable<RefundTable>> {
  const of = await tx.db
    .selectFrom("payment")
    .select(["id", "customer_id", "currency_code"])
    .where("id", "=", payment.id)
    .executeTakeFirstOrThrow();
  // Read under the customer's lock, as applyRefundOfPayment writes: a webhook of this refund waits for it.
  await lockCustomerForMoney(tx.db, of.customer_id);
  const before = await refundRowOfProviderRefund(tx, made.id);
  const { refund } = await applyRefundOfPayment(tx, provider, of, {
    kind: "refund_changed",
    refundRef: made.id,
    paymentRef: payment.reference,
    amount: reserved.amount,
    status: made.status,
    reason: reason ?? "",
    tokenbillRefundId: reserved.id,
  });
  if (refund.id === reserved.id) {
    if (before)
      tx.logger.debug(
        { refund: reserved.id, providerRefund: made.id },
        "the payment provider's answer came after its webhook, which linked the reservation first",
      );
    return refund;
  }
  // Ended before the answer came (a refund of another amount naming it, a release), or, rarer, linked to
  // another refund naming it: the warning says which.
  const now = await tx.db
    .selectFrom("refund")
    .select(["status", "provider_refund_id"])
    .where("id", "=", reserved.id)
    .executeTakeFirstOrThrow();
  const madeFor =
    now.provider_refund_id === null
      ? "a reservation ended meanwhile"
      : `a reservation linked meanwhile to its other refund ${now.provider_refund_id}`;
  tx.logger.warn(
    { refund: reserved.id, status: now.status, providerRefund: made.id, recordedAs: refund.id },
    before
      ? `the payment provider made a refund for ${madeFor}: its webhook recorded it as refund ${refund.id} of the payment, which the request is answered with`
      : `the payment provider made a refund for ${madeFor}: recorded as refund ${refund.id} of the payment, which the request is answered with`,
  );
  return refund;
}

function refundRowOfProviderRefund(tx: TxContext, providerRefundId: string) {
  return tx.db
    .selectFrom("refund")
    .selectAll()
    .where("provider_refund_id", "=", providerRefundId)
    .executeTakeFirst();
}

/**
 * Says why the reservation stays pending and, for a refused key, what the operator must do. `during` "look-up":
 * the refused request was the job's look for a refund an earlier ask made, so what is known is only that
 * nothing was asked this time (until 2026-12-07 it said "no refund was made", true only of an ask).
 */
export function logNotCarriedOut(
  ctx: ServiceContext,
  error: ProviderNotCarriedOutError,
  refundId: string,
  paymentId: string,
  during: "ask" | "look-up" = "ask",
): void {
  const fields = { err: error, refund: refundId, payment: paymentId };
  const known =
    during === "ask"
      ? "no refund was made"
      : "tokenbill could not look whether it has a refund for the reservation, and asked for none";
  if (error.why === "key_refused")
    ctx.logger.error(
      fields,
      `${error.upstream} refused tokenbill's secret key (${error.status ?? "no status"}): ${known}. Set STRIPE_SECRET_KEY to a secret or restricted key with write access to refunds and restart; the reservation stays pending, holding its amount, and its job asks again while it has attempts left (then retry it, or release the reservation in the console)`,
    );
  else
    ctx.logger.warn(
      { ...fields, retryAfterMs: error.retryAfterMs ?? null },
      `${error.upstream} rate-limited the ${during === "ask" ? "refund" : "look-up of the refund"}: ${known}; the reservation stays pending, holding its amount, and its job asks again while it has attempts left`,
    );
}

/**
 * Whether a failed provider call says that no refund was made: the provider's refusal (a CONFLICT), input
 * it cannot take, or an answer of 4xx (a bad key, a rate limit: the request was not carried out). No answer
 * (status null), a 5xx, which Stripe calls indeterminate, and a 409 or an answer the provider marks as saying
 * nothing of the refund (ProviderOutcomeUnknownError: Stripe's key still in flight or used before) do not;
 * nor does an error of our own after the call. Until 2026-12-06 a 409 failed the reservation. A rate limit or
 * a refused key (ProviderNotCarriedOutError) is no refusal for a reservation a job asks for again
 * (askedAgainBy "job"); until 2026-12-07 it failed a credit note's reservation too.
 */
function saysNoRefundWasMade(error: unknown): boolean {
  if (error instanceof ServiceError) return true;
  if (error instanceof ProviderOutcomeUnknownError) return false;
  return (
    error instanceof UpstreamError && error.status !== null && error.status < 500 && error.status !== 409
  );
}

function currencyOfPayment(ctx: ServiceContext, paymentId: string) {
  return ctx.db
    .selectFrom("payment")
    .innerJoin("currency", "currency.code", "payment.currency_code")
    .select(["currency.code", "currency.exponent"])
    .where("payment.id", "=", paymentId)
    .executeTakeFirstOrThrow();
}
