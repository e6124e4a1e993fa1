import { z } from "zod";
import type { Payment } from "../../billing/payments/payment-schemas.ts";
import { listPayments } from "../../billing/payments/get-payment.ts";
import { readPayment } from "../../billing/payments/read-payment.ts";
import { type CheckoutAnswer, startCheckout } from "../../billing/providers/start-checkout.ts";
import type { CheckoutQuote, MoneyUnit } from "../../billing/providers/payment-provider.ts";
import { onlinePaymentsConfigured, paymentProviderOf } from "../../billing/providers/provider-from-config.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { cursorParam, type KeysetPage } from "../../kernel/list-cursor.ts";
import { PageQuery } from "../../kernel/pagination.ts";
import { periodString } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { ownRecord, portalCustomerId } from "./portal-customer.ts";
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
  cursor: cursorParam,
  month: periodString.optional(),
  method: z
    .enum(METHOD_NAMES, {
      message: `must be ${METHOD_NAMES.slice(0, -1).join(", ")} or ${METHOD_NAMES.at(-1)}`,
    })
    .optional(),
});

/** A month's first and last days (YYYY-MM-DD), the payments list's received_from and received_to. */
function daysOf(month: string): { received_from: string; received_to: string } {
  const [year, monthNumber] = month.split("-").map(Number) as [number, number];
  // Day 0 of the next month is this month's last day.
  const last = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
  return { received_from: `${month}-01`, received_to: `${month}-${String(last).padStart(2, "0")}` };
}

/**
 * The session customer's payments, newest first: the payments list (listPayments) scoped to the customer by its
 * actor, the month read as its days (in BILLING_TIME_ZONE, as the list's dates are) and the method in the
 * customer's words. Paged by `page`, or walked by `cursor` (meta.next_cursor) through payment_customer
 * (customer_id, paid_at DESC, id DESC), so a deep page costs what the first does; until 2026-12-07 the portal
 * paged by OFFSET, reading every newer payment of the customer, then each shown payment by itself.
 */
export const listPortalPayments = defineVerb(
  PortalPaymentQuery,
  async ({ ctx, input }): Promise<KeysetPage<PortalPayment>> => {
    // Only a customer's session: the list scopes that actor to its own payments (customerScope).
    portalCustomerId(ctx);
    // Each portal method is one stored method (PORTAL_PAYMENT_METHODS), which the list filters by.
    const method = input.method === undefined ? undefined : PORTAL_PAYMENT_METHODS[input.method][0];
    const page = await listPayments({
      ctx,
      input: {
        page: input.page,
        per_page: input.per_page,
        ...(input.cursor === undefined ? {} : { cursor: input.cursor }),
        ...(method === undefined ? {} : { method }),
        ...(input.month === undefined ? {} : daysOf(input.month)),
      },
    });
    return { data: await withInvoiceNumbers(ctx, page.data), meta: page.meta };
  },
);

export const getPortalPayment = defineVerb(RecordId, async ({ ctx, input }): Promise<PortalPayment> => {
  const row = await ownRecord(ctx, { id: input.id, prefix: "pay", noun: "payment" }, (wanted) =>
    ctx.db.selectFrom("payment").select(["id", "customer_id"]).where("id", "=", wanted).executeTakeFirst(),
  );
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
    const row = await ownRecord(ctx, { id: input.session_id, prefix: "cs", noun: "checkout" }, (wanted) =>
      ctx.db
        .selectFrom("checkout_session")
        .select(["invoice_id", "customer_id"])
        .where("id", "=", wanted)
        .executeTakeFirst(),
    );
    return { invoice_id: row.invoice_id };
  },
);
