import { expect } from "vitest";
import type { Db, ServiceContext } from "../../../kernel/context.ts";
import type { PaymentProvider } from "../../providers/payment-provider.ts";
import { processProviderEvent } from "../../providers/process-provider-event.ts";
import { signedWebhook } from "../../providers/testing/fake-stripe.ts";
import type { FakeStripeAccount } from "../../providers/testing/stripe-world.ts";
import { recordPayment } from "../record-payment.ts";
import { refundPayment } from "../refund.ts";

// Card money for the money tests that drive the verbs directly (no HTTP server): card payments recorded as
// Stripe's with the session the fake Stripe charged them in, refunds asked of the fake, and Stripe's word on a
// refund told through the webhook's own processing. A file takes one, with its database and fake Stripe
// account, from cardMoneyPerFile (card-money-per-file.ts).

export interface CardMoney {
  /** Stripe's side of a card payment: the Checkout session that charged `reference`, so it can be refunded. */
  charged(reference: string, amount: bigint): void;
  /** A card payment of `amount` to the customer or against an invoice, charged on Stripe; its id. */
  pay(
    target: { customer_id: bigint } | { invoice_id: string },
    reference: string,
    amount: bigint,
    paidAt?: Date,
  ): Promise<string>;
  /** Refunds `amount` of a card payment through Stripe: pending, linked to Stripe's refund. */
  refund(paymentId: string, amount: bigint): Promise<{ id: string; stripeId: string }>;
  /** Stripe's signed refund.updated webhook for `stripeRefundId`, processed as the webhook route does. */
  says(stripeRefundId: string, status: "succeeded" | "failed"): ReturnType<typeof processProviderEvent>;
}

export function cardMoney(deps: {
  db: Db;
  account: FakeStripeAccount;
  provider: PaymentProvider;
  ctx: () => ServiceContext;
}): CardMoney {
  const { db, account, provider, ctx } = deps;
  const charged = (reference: string, amount: bigint) => {
    const id = `cs_${reference}`;
    account.fake.sessions.set(id, {
      id,
      object: "checkout.session",
      mode: "payment",
      status: "complete",
      payment_status: "paid",
      amount_total: Number(amount),
      currency: "usd",
      client_reference_id: null,
      customer_email: null,
      metadata: {},
      payment_intent: reference,
      success_url: null,
      cancel_url: null,
      url: `https://checkout.stripe.com/c/pay/${id}`,
      livemode: false,
      created: Math.floor(Date.now() / 1000),
    });
  };
  return {
    charged,
    async pay(target, reference, amount, paidAt = new Date("2026-11-01T12:00:00Z")) {
      const { payment } = await recordPayment({
        ctx: ctx(),
        input: { ...target, amount, method: "stripe", reference, paid_at: paidAt },
      });
      charged(reference, amount);
      return payment.id;
    },
    async refund(paymentId, amount) {
      const { refund } = await refundPayment({ ctx: ctx(), input: { payment_id: paymentId, amount } });
      const row = await db
        .selectFrom("refund")
        .select(["id", "status", "provider_refund_id"])
        .where("id", "=", refund.id)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe("pending");
      return { id: row.id, stripeId: row.provider_refund_id as string };
    },
    says(stripeRefundId, status) {
      const { body, headers } = signedWebhook(
        account.fake.settleRefund(stripeRefundId, status),
        account.webhookSecret,
      );
      return processProviderEvent(ctx(), provider, provider.parseWebhook(Buffer.from(body), headers));
    },
  };
}

/** What a refund's ledger event put back on each invoice (receivable +). */
export async function reopenedBy(db: Db, refundId: string): Promise<Record<string, bigint>> {
  const rows = await db
    .selectFrom("ledger_entry")
    .select(["invoice_id", "amount"])
    .where("event_id", "=", `ref:${refundId}`)
    .where("account", "=", "receivable")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.invoice_id as string, r.amount]));
}
