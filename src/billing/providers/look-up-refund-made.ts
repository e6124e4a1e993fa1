import type { ServiceContext } from "../../kernel/context.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { lockCustomerForMoney } from "../payments/invoice-settlement.ts";
import { type FoundRefund, type PaymentProvider, ProviderNotCarriedOutError } from "./payment-provider.ts";
import { applyFoundRefund } from "./apply-refund-fact.ts";
import { chargeLookUpFor } from "./refund-beyond-payment.ts";
import { logNotCarriedOut } from "./refund-through-provider.ts";

// The one look-up by metadata for a refund an ask made whose answer was lost: a credit note's job before it
// asks (credit-note-refund.ts), and the look-up after a refund of another amount ended the reservation
// (look-up-ended-reservation.ts). What it finds is recorded as the webhooks would record it, so a webhook
// that comes after (or came before) records nothing twice.

/** The reservation looked for: its id (the refund's metadata), its payment and the amount it reserved. */
export interface ReservationLookedFor {
  refundId: string;
  paymentId: string;
  paymentRef: string;
  amount: bigint;
}

/** What a look-up found; `alreadyRecorded` when a row was linked to its first refund before it looked. */
export interface RefundMadeFound extends FoundRefund {
  alreadyRecorded: boolean;
}

/**
 * Looks in the provider for the refunds naming the reservation and records them (applyFoundRefund); returns
 * what it found, null when the provider has none. A look-up the provider does not carry out (a rate limit, our
 * key refused) is logged and thrown as LookupNotCarriedOutError; one it does not answer is thrown as it came; a
 * refund found that does not fit beside the payment's others is a RefundBeyondPaymentError, its charge's
 * look-up queued. Only jobs call it (a credit note's refund, the look-up of an ended reservation).
 */
export async function lookUpRefundMade(
  ctx: ServiceContext,
  provider: PaymentProvider,
  { refundId, paymentId, paymentRef, amount }: ReservationLookedFor,
): Promise<RefundMadeFound | null> {
  const currency = await ctx.db
    .selectFrom("payment")
    .innerJoin("currency", "currency.code", "payment.currency_code")
    .select(["currency.code", "currency.exponent", "payment.customer_id"])
    .where("payment.id", "=", paymentId)
    .executeTakeFirstOrThrow();
  let found: FoundRefund | null;
  try {
    // The release's look-up (release-refund-reservation.ts): the payment's refunds, ours by their metadata.
    found = await provider.findRefund({
      paymentRef,
      refundId,
      providerRefundId: null,
      reserved: { amount, currency: { code: currency.code, exponent: currency.exponent } },
    });
  } catch (error) {
    if (error instanceof ProviderNotCarriedOutError) {
      logNotCarriedOut(ctx, error, refundId, paymentId, "look-up");
      throw new LookupNotCarriedOutError(error);
    }
    throw error;
  }
  if (!found) return null;
  let alreadyRecorded: boolean;
  try {
    alreadyRecorded = await withTransaction(ctx, async (tx) => {
      // Under the customer's lock, as applyRefundFact writes: a webhook recording the refund at the same time
      // has committed before this reads, or waits until this commits. Its caller's log says "recorded" only of
      // news.
      await lockCustomerForMoney(tx.db, currency.customer_id);
      const linked = await tx.db
        .selectFrom("refund")
        .select("id")
        .where("provider_refund_id", "=", found.refundRef)
        .executeTakeFirst();
      await applyFoundRefund(tx, provider, found);
      return linked !== undefined;
    });
  } catch (error) {
    // A refund found that no ending of reservations makes room for: a look-up of the charge's refunds is
    // queued, and the job's error says so; its next attempt finds what that recorded (refund-beyond-payment.ts).
    throw await chargeLookUpFor(ctx, error, "job");
  }
  return { ...found, alreadyRecorded };
}

/**
 * The provider did not carry out the look-up (rate-limited, our key refused): whether a refund exists is not
 * known, only that this attempt asked for none. The ask's own refusal says more: no refund was made.
 */
export class LookupNotCarriedOutError extends Error {
  constructor(readonly notCarriedOut: ProviderNotCarriedOutError) {
    super(notCarriedOut.message, { cause: notCarriedOut });
    this.name = "LookupNotCarriedOutError";
  }
}
