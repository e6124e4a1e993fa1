import type { Selectable } from "kysely";
import type { PaymentTable } from "../../db/schema.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { presentRefund, type Refund } from "../payments/payment-schemas.ts";
import { recordRefundIn, refundedSoFar } from "../payments/refund-payment.ts";
import { paymentProviderOf } from "./provider-from-config.ts";

// A refund of a provider's payment goes back through the provider (issue 11 item 4): the provider returns
// the money, then tokenbill records a *pending* refund, which writes no ledger entry; the provider's signed
// webhook settles it (process-provider-event.ts), and only then is the amount due reopened. The refund verb
// calls this for a payment whose method is a provider's, in place of recording a succeeded refund.

/**
 * Asks the provider to refund `amount` of `payment`, then records the pending refund. An amount above what
 * is left to refund is VALIDATION before the provider is asked; the provider's own refusal is a CONFLICT.
 * Best called outside an open transaction (nothing is locked while the provider answers); inside one, the
 * refund row joins it.
 */
export async function refundThroughProvider(
  ctx: ServiceContext,
  payment: Pick<Selectable<PaymentTable>, "id" | "method" | "reference" | "amount">,
  amount: bigint,
  reason: string | undefined,
): Promise<Refund> {
  const provider = paymentProviderOf(ctx.config);
  if (!provider || provider.name !== payment.method)
    throw new ServiceError(
      "CONFLICT",
      `payment ${payment.id} was made through ${payment.method}, which is not configured: refund it in ` +
        `${payment.method}'s dashboard (its webhook records the refund) or set STRIPE_SECRET_KEY`,
    );
  // Checked before the provider moves any money (recordRefundIn checks again under the customer's lock).
  const left = payment.amount - (await refundedSoFar(ctx.db, payment.id));
  if (amount <= 0n || amount > left)
    throw ServiceError.validation(
      "amount",
      `at most ${left} (minor units) of payment ${payment.id} is left to refund`,
    );
  const refund = await provider.refund({
    paymentRef: payment.reference,
    amount,
    reason,
    paymentId: payment.id,
  });
  return withTransaction(ctx, async (tx) => {
    // The provider's webhook may have been faster than this transaction and recorded the refund already.
    const already = await tx.db
      .selectFrom("refund")
      .selectAll()
      .where("provider_refund_id", "=", refund.id)
      .executeTakeFirst();
    if (already) return presentRefund(already);
    return recordRefundIn(tx.db, tx, {
      payment_id: payment.id,
      amount,
      reason: reason ?? "",
      status: "pending",
      provider_refund_id: refund.id,
    });
  });
}
