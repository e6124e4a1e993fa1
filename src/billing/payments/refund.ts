import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { PROVIDER_METHODS } from "../providers/payment-provider.ts";
import { type ProviderRefundOutcome, refundThroughProvider } from "../providers/refund-through-provider.ts";
import { RefundInput } from "./payment-schemas.ts";
import { answerIdempotencyKey, claimIdempotencyKey } from "../../kernel/idempotency-key.ts";
import { recordRefundIn } from "./refund-payment.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

/**
 * Returns money of a payment (billing-rules §7). A manual payment's refund succeeds at once. A provider's
 * payment (Stripe) is refunded through the provider, outside any transaction (nothing is locked while it
 * answers): the refund is recorded pending and settled by the provider's signed webhook. At most what is
 * left of the payment (its amount − earlier refunds that did not fail), else VALIDATION naming `amount`.
 * With an Idempotency-Key (ctx.idempotency) the refund and the key commit together, and a repeat is answered
 * with the first answer. `confirmed` is false when the provider did not say whether it made the refund: the
 * refund stays pending, holding its amount, until its webhook settles it (refund-through-provider.ts).
 */
export const refundPayment = defineVerb(
  RefundInput,
  async ({ ctx, input }): Promise<ProviderRefundOutcome> => {
    await requireStaffRole(ctx, ...BILLING_ROLES);
    const payment = await ctx.db
      .selectFrom("payment")
      .select(["id", "method", "reference", "amount"])
      .where("id", "=", input.payment_id)
      .executeTakeFirst();
    if (payment && PROVIDER_METHODS.has(payment.method))
      return refundThroughProvider(ctx, payment, input.amount, input.reason, null, ctx.idempotency);
    return withTransaction(ctx, async (tx) => {
      await claimIdempotencyKey(tx, ctx.idempotency);
      const refund = await recordRefundIn(tx.db, tx, { ...input, status: "succeeded" });
      await answerIdempotencyKey(tx, ctx.idempotency, refund);
      return { refund, confirmed: true };
    });
  },
);
