import type { FastifyRequest } from "fastify";
import { getCustomerBalance } from "../../billing/payments/customer-balance.ts";
import { listPayments } from "../../billing/payments/get-payment.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { currencyDisplays } from "../../services/currencies/currencies.ts";
import { money, pageQuery, pagerOf, paidOn } from "../page-kit.ts";
import { pendingRefunds } from "./invoice-view.ts";
import { numberedMeta } from "./list-walk.ts";

// The customer page's money card: balance and credit (projections of the ledger), and the customer's
// payments newest first, paged, each with a Refund action while some of it is left to refund. A payment
// recorded against no invoice and only partly allocated holds credit that no invoice page would offer back.

/** Payments on the customer page; more are paged with `?payments_page=`. */
const PAYMENT_ROWS = 20;

export async function customerMoney(ctx: ServiceContext, request: FastifyRequest, customerId: number) {
  const [account, displays, payments] = await Promise.all([
    getCustomerBalance({ ctx, input: { id: customerId } }),
    currencyDisplays({ ctx, input: {} }),
    listPayments({
      ctx,
      input: { ...pageQuery(request, PAYMENT_ROWS, "payments_page"), customer_id: customerId },
    }),
  ]);
  const show = (minor: bigint) => money(minor, account.currency);
  // A payment in a currency the customer has since left is written in its own (customers.md).
  const showIn = (minor: bigint, code: string) => money(minor, displays.get(code) ?? account.currency);
  return {
    balance: show(account.balance),
    // Credit a pending card refund holds (a note's, a payment's own) pays no invoice: shown apart (the statement's credit_held).
    credit: show(account.credit - account.creditHeld),
    creditHeld: account.creditHeld > 0n ? show(account.creditHeld) : undefined,
    payments: payments.data.map((p) => ({
      id: p.id,
      date: paidOn(p.paid_at, ctx.config.BILLING_TIME_ZONE),
      method: p.method,
      reference: p.reference,
      invoiceId: p.invoice_id,
      amount: showIn(p.amount, p.currency),
      credit: showIn(p.credit, p.currency),
      refunded: showIn(p.refunded, p.currency),
      refundable: p.amount > p.refunded,
      pending: pendingRefunds(p, (minor) => showIn(minor, p.currency)),
    })),
    // A customer's payments page by number (no cursor sent: meta.page and meta.total are set).
    pager: pagerOf(request, numberedMeta(payments.meta), "payments_page"),
  };
}
