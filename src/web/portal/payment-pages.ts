import type { FastifyInstance } from "fastify";
import { isServiceError } from "../../kernel/errors.ts";
import { currencyDisplays } from "../../services/currencies/currencies.ts";
import {
  getPortalPayment,
  listPortalPayments,
  PORTAL_PAYMENT_METHODS,
  type PortalPayment,
  portalCheckoutInvoice,
  startPortalCheckout,
} from "../../services/portal/portal-payments.ts";
import type { CurrencyDisplay } from "../../domain/money.ts";
import { walkPagerOf, walkQuery } from "../list-walk.ts";
import { customerPage, money, paidOn, when } from "../page-kit.ts";
import type { WebDeps } from "../web-deps.ts";
import { CUSTOMER } from "./portal-notices.ts";
import { type PortalList, portalListPage, portalListRoute } from "./portal-lists.ts";

// Paying an invoice online (the payment provider's hosted page, docs/payments-stripe.md) and the payment
// history. "Pay now" POSTs, makes a checkout for the amount due and sends the browser to the provider; the
// provider sends it back to /portal/checkout/return, which finds the invoice of that checkout. The invoice
// shows as paid once the provider's signed webhook has been processed, never because the browser came back.

/** A payment's method as the customer reads it; any other (a provider's) by its own name. */
const METHOD: Record<string, string> = {
  stripe: "Card (online)",
  bank_transfer: "Bank transfer",
  cash: "Cash",
  cheque: "Cheque",
  manual: "Recorded by us",
};

/**
 * The list, filtered by the month a payment was received (its Date) and its method in the Method column's
 * words (PORTAL_PAYMENT_METHODS: `card` is the provider's).
 */
const PAYMENT_LIST: PortalList = {
  path: "/portal/payments",
  title: "Payments",
  template: "portal-payments",
  rows: "payments",
  filters: [
    { name: "month", label: "Month received (YYYY-MM)" },
    {
      name: "method",
      label: "Method",
      choices: Object.entries(PORTAL_PAYMENT_METHODS).map(([value, [stored]]) => [value, METHOD[stored]!]),
    },
  ],
  none: "No payments yet.",
  noneMatching: "No payments match these filters.",
};

function paymentView(p: PortalPayment, displays: Map<string, CurrencyDisplay>, timeZone: string) {
  const cur = displays.get(p.currency);
  // Every payment's currency exists (foreign key); without one no amount is shown rather than a wrong one.
  const m = (v: bigint) => (cur ? money(v, cur) : "—");
  return {
    id: p.id,
    date: paidOn(p.paid_at, timeZone),
    method: METHOD[p.method] ?? p.method,
    reference: p.reference,
    amount: m(p.amount),
    allocations: p.allocations.map((a) => ({
      invoice_id: a.invoice_id,
      number: p.invoice_numbers[a.invoice_id] ?? a.invoice_id,
      amount: m(a.amount),
    })),
    credit: p.credit > 0n ? m(p.credit) : undefined,
    refunded: p.refunded > 0n ? m(p.refunded) : undefined,
    refunds: p.refunds.map((r) => ({ date: when(r.created_at), amount: m(r.amount), status: r.status })),
  };
}

export function registerPortalPaymentPages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  app.post<{ Params: { id: string } }>(
    "/portal/invoices/:id/pay",
    { ...CUSTOMER, ...csrf },
    async (request, reply) => {
      let url: string;
      try {
        ({ url } = await startPortalCheckout({
          ctx: deps.contextOf(request),
          input: { id: request.params.id },
        }));
      } catch (error) {
        // Paid meanwhile, void, or online payments switched off: back to the invoice, which says so.
        if (isServiceError(error) && error.code === "CONFLICT")
          return reply.redirect(
            `/portal/invoices/${encodeURIComponent(request.params.id)}?notice=not_payable`,
            303,
          );
        throw error;
      }
      return reply.header("cache-control", "no-store").redirect(url, 303);
    },
  );

  app.get("/portal/checkout/return", CUSTOMER, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const sessionId = typeof query["session_id"] === "string" ? query["session_id"] : "";
    const { invoice_id } = await portalCheckoutInvoice({
      ctx: deps.contextOf(request),
      input: { session_id: sessionId },
    });
    return reply.redirect(`/portal/invoices/${invoice_id}?notice=payment_returned`, 303);
  });

  app.get("/portal/payments", portalListRoute(PAYMENT_LIST), async (request, reply) => {
    const ctx = deps.contextOf(request);
    return portalListPage(deps, request, reply, PAYMENT_LIST, async (filters) => {
      const [page, displays] = await Promise.all([
        listPortalPayments({ ctx, input: { ...walkQuery(request), ...filters } }),
        currencyDisplays({ ctx, input: {} }),
      ]);
      return {
        payments: page.data.map((p) => paymentView(p, displays, ctx.config.BILLING_TIME_ZONE)),
        pager: walkPagerOf(request, page.meta),
      };
    });
  });

  app.get<{ Params: { id: string } }>("/portal/payments/:id", CUSTOMER, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const [payment, displays] = await Promise.all([
      getPortalPayment({ ctx, input: { id: request.params.id } }),
      currencyDisplays({ ctx, input: {} }),
    ]);
    return customerPage(deps, request, reply, "portal-payment", {
      title: "Payment",
      payment: paymentView(payment, displays, ctx.config.BILLING_TIME_ZONE),
    });
  });
}
