import { z } from "zod";
import type { Payment } from "../../billing/payments/payment-schemas.ts";
import { readPayment } from "../../billing/payments/read-payment.ts";
import { type CheckoutAnswer, startCheckout } from "../../billing/providers/start-checkout.ts";
import type { CheckoutQuote, MoneyUnit } from "../../billing/providers/payment-provider.ts";
import { onlinePaymentsConfigured, paymentProviderOf } from "../../billing/providers/provider-from-config.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { offsetOf, type Page, PageQuery, pageOf } from "../../kernel/pagination.ts";
import { periodBounds } from "../../domain/periods.ts";
import { periodString } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { notYours, portalCustomerId, wellFormed } from "./portal-customer.ts";
import { ownIssuedInvoiceId } from "./portal-invoices.ts";

// The customer's payments, and paying an invoice online through the payment provider (docs/payments-stripe.md).
// The payment itself is recorded only from the provider's signed webhook; here the customer is only sent to
// the provider's page, and brought back to the invoice afterwards.

const RecordId = z.object({ id: z.string().max(300) }).strict();

/** A payment with the numbers of the invoices it paid, for people to read. */
export type PortalPayment = Payment & { invoice_numbers: Record<string, string> };

async function withInvoiceNumbers(ctx: ServiceContext, payments: Payment[]): Promise<PortalPayment[]> {
  const ids = [...new Set(payments.flatMap((p) => p.allocations.map((a) => a.invoice_id)))];
  const rows =
    ids.length === 0
      ? []
      : await ctx.db
          .selectFrom("invoice")
          .select(["id", "number"])
          .where("id", "in", ids)
          .where("customer_id", "=", portalCustomerId(ctx))
          .execute();
  const numbers = Object.fromEntries(rows.map((r) => [r.id, r.number ?? r.id]));
  return payments.map((p) => ({ ...p, invoice_numbers: numbers }));
}

/**
 * How a payment came, in the customer's words (the portal's Method column): `card` is a card payment online
 * (the provider, Stripe), the others the methods staff record by hand (`manual`: "recorded by us").
 */
export const PORTAL_PAYMENT_METHODS = {
  card: ["stripe"],
  bank_transfer: ["bank_transfer"],
  cash: ["cash"],
  cheque: ["cheque"],
  manual: ["manual"],
} as const;
type PortalPaymentMethod = keyof typeof PORTAL_PAYMENT_METHODS;
const METHOD_NAMES = Object.keys(PORTAL_PAYMENT_METHODS) as [PortalPaymentMethod, ...PortalPaymentMethod[]];

/** What a customer looks a payment up by: the month it was received (in BILLING_TIME_ZONE) and its method. */
export const PortalPaymentQuery = PageQuery.extend({
  month: periodString.optional(),
  method: z
    .enum(METHOD_NAMES, {
      message: `must be ${METHOD_NAMES.slice(0, -1).join(", ")} or ${METHOD_NAMES.at(-1)}`,
    })
    .optional(),
});

export const listPortalPayments = defineVerb(
  PortalPaymentQuery,
  async ({ ctx, input }): Promise<Page<PortalPayment>> => {
    const customerId = portalCustomerId(ctx);
    let q = ctx.db.selectFrom("payment").where("customer_id", "=", customerId);
    if (input.method) q = q.where("method", "in", [...PORTAL_PAYMENT_METHODS[input.method]]);
    if (input.month) {
      // The month of the list's dates: a payment's day is the billing time zone's (paidOn, page-time.ts).
      const { start, end } = periodBounds(input.month, ctx.config.BILLING_TIME_ZONE);
      q = q.where("paid_at", ">=", start).where("paid_at", "<", end);
    }
    const [ids, count] = await Promise.all([
      q
        .select("id")
        .orderBy("paid_at", "desc")
        .orderBy("id", "desc")
        .limit(input.per_page)
        .offset(offsetOf(input))
        .execute(),
      q.select((eb) => eb.fn.countAll<bigint>().as("n")).executeTakeFirstOrThrow(),
    ]);
    const data: Payment[] = [];
    for (const { id } of ids) data.push(await readPayment(ctx.db, id));
    return pageOf(await withInvoiceNumbers(ctx, data), count.n, input);
  },
);

export const getPortalPayment = defineVerb(RecordId, async ({ ctx, input }): Promise<PortalPayment> => {
  const customerId = portalCustomerId(ctx);
  const wanted = wellFormed(input.id, "pay");
  const row = wanted
    ? await ctx.db
        .selectFrom("payment")
        .select("id")
        .where("id", "=", wanted)
        .where("customer_id", "=", customerId)
        .executeTakeFirst()
    : undefined;
  if (!row) throw notYours("payment");
  const [payment] = await withInvoiceNumbers(ctx, [await readPayment(ctx.db, row.id)]);
  return payment!;
});

/** Whether the portal offers "Pay now" at all (a provider is configured). */
export function onlinePaymentsOn(config: Parameters<typeof paymentProviderOf>[0]): boolean {
  return onlinePaymentsConfigured(config);
}

/**
 * What "Pay now" would charge for `amountDue` (the provider's rounding up, its minimum), without asking the
 * provider; undefined when online payments are off.
 */
export async function portalCheckoutQuote(
  config: Parameters<typeof paymentProviderOf>[0],
  amountDue: bigint,
  currency: MoneyUnit,
): Promise<(CheckoutQuote & { provider: string }) | undefined> {
  const provider = await paymentProviderOf(config);
  return provider && { ...provider.checkoutQuote(amountDue, currency), provider: provider.name };
}

/** A checkout on the provider's page for one of the customer's unpaid invoices (its amount due now). */
export const startPortalCheckout = defineVerb(RecordId, async ({ ctx, input }): Promise<CheckoutAnswer> => {
  const id = await ownIssuedInvoiceId(ctx, input.id);
  // startCheckout scopes a customer actor to its own invoices as well, and refuses paid or void ones (409).
  return startCheckout({ ctx, input: { invoice_id: id } });
});

/**
 * Where the provider sends the customer back (STRIPE_SUCCESS_URL pointing at /portal/checkout/return with
 * Stripe's {CHECKOUT_SESSION_ID}): the invoice of one of the customer's own checkouts.
 */
export const portalCheckoutInvoice = defineVerb(
  z.object({ session_id: z.string().max(300) }).strict(),
  async ({ ctx, input }): Promise<{ invoice_id: string }> => {
    const customerId = portalCustomerId(ctx);
    const wanted = wellFormed(input.session_id, "cs");
    const row = wanted
      ? await ctx.db
          .selectFrom("checkout_session")
          .select("invoice_id")
          .where("id", "=", wanted)
          .where("customer_id", "=", customerId)
          .executeTakeFirst()
      : undefined;
    if (!row) throw notYours("checkout");
    return { invoice_id: row.invoice_id };
  },
);
