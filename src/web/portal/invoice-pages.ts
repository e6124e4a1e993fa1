import type { FastifyInstance, FastifyReply } from "fastify";
import type { Invoice } from "../../billing/invoices/invoice-schemas.ts";
import { currencyDisplayOf } from "../../services/currencies/currencies.ts";
import { onlinePaymentsOn, portalCheckoutQuote } from "../../services/portal/portal-payments.ts";
import type { Config } from "../../config.ts";
import {
  getPortalInvoice,
  listPortalInvoices,
  portalInvoicePdf,
} from "../../services/portal/portal-invoices.ts";
import { customerPage, listPaging, money, pagerOf } from "../page-kit.ts";
import type { WebDeps } from "../web-deps.ts";
import { allowFormRedirects, checkoutOrigin } from "../form-redirects.ts";
import { CUSTOMER, portalNoticeOf, STATUS_TEXT, statusBadge } from "./portal-notices.ts";
import { type PortalList, portalListPage, portalListRoute } from "./portal-lists.ts";

// The customer's invoices: the list (newest period first), one invoice with its lines and totals, its PDF,
// and "Pay now" while it has something due and online payments are on.

/** The list, filtered by the invoice's state in the customer's words (open, paid, void) and its month. */
const INVOICE_LIST: PortalList = {
  path: "/portal/invoices",
  title: "Invoices",
  template: "portal-invoices",
  rows: "invoices",
  filters: [
    {
      name: "status",
      label: "Status",
      choices: [
        ["open", "Open (to pay)"],
        ["paid", "Paid"],
        ["void", "Void"],
      ],
    },
    { name: "period", label: "Month (YYYY-MM)" },
  ],
  none: "No invoices yet. Your first one is issued after your first month of use.",
  noneMatching: "No invoices match these filters.",
};

const LINE_KIND: Record<string, string> = {
  server: "Server",
  additional_ips: "Additional IPs",
  backups: "Backups",
};

/** A PDF download: the file name is the document's number, never anything from the request. */
export function sendPdf(reply: FastifyReply, number: string, pdf: Buffer): FastifyReply {
  const name = number.replace(/[^A-Za-z0-9._-]/g, "_");
  return reply
    .header("cache-control", "no-store")
    .header("content-disposition", `attachment; filename="${name}.pdf"`)
    .type("application/pdf")
    .send(pdf);
}

function invoiceView(invoice: Invoice) {
  const cur = currencyDisplayOf(invoice.currency);
  const m = (v: bigint) => money(v, cur);
  const settled = invoice.status === "void" ? 0n : invoice.total - invoice.amount_due;
  return {
    id: invoice.id,
    number: invoice.number ?? invoice.id,
    period: invoice.period,
    status: invoice.status,
    status_text: STATUS_TEXT[invoice.status] ?? invoice.status,
    badge: statusBadge(invoice.status),
    issue_date: invoice.issue_date ?? "",
    due_date: invoice.due_date ?? "",
    currency: invoice.currency.code,
    tokens: invoice.tokens.toLocaleString("en-GB"),
    subtotal: m(invoice.subtotal),
    discounts: invoice.discounts.map((d) => ({ name: d.name, amount: m(-d.amount) })),
    net: m(invoice.net),
    taxes: invoice.taxes.map((t) => ({ label: t.label, rate: t.rate, amount: m(t.amount) })),
    total: m(invoice.total),
    settled: settled > 0n ? m(settled) : undefined,
    amount_due: m(invoice.amount_due),
    payable:
      (invoice.status === "finalized" || invoice.status === "partially_paid") && invoice.amount_due > 0n,
    lines: (invoice.lines ?? []).map((l) => ({
      what: `${LINE_KIND[l.kind] ?? l.kind}: ${l.server.name}`,
      plan: l.plan,
      hours: l.hours.toLocaleString("en-GB"),
      quantity: l.quantity.toString(),
      tokens: l.tokens.toLocaleString("en-GB"),
      amount: m(l.amount),
    })),
  };
}

/**
 * What the invoice's page says about paying it by card: what the provider's page will charge and what of it
 * becomes credit (a 1.581 KWD amount due is charged 1.590 KWD by Stripe, 0.009 KWD becoming credit), or why
 * there is no card button (below the provider's smallest charge). Undefined when online payments are off or
 * nothing is due.
 */
async function cardView(invoice: Invoice, config: Config) {
  const payable =
    (invoice.status === "finalized" || invoice.status === "partially_paid") && invoice.amount_due > 0n;
  if (!payable) return undefined;
  const quote = await portalCheckoutQuote(config, invoice.amount_due, invoice.currency);
  if (!quote) return undefined;
  const cur = currencyDisplayOf(invoice.currency);
  const m = (v: bigint) => money(v, cur);
  if (quote.belowMinimum && quote.minimum !== null)
    return {
      below_minimum: true,
      minimum: m(quote.minimum),
      // Credit pays open invoices when it arrives only with CREDIT_APPLY_ON_FINALIZE on (docs/payments.md).
      credit_pays: config.CREDIT_APPLY_ON_FINALIZE,
    };
  return {
    below_minimum: false,
    charge: m(quote.charge),
    extra: quote.charge > invoice.amount_due ? m(quote.charge - invoice.amount_due) : undefined,
  };
}

export function registerPortalInvoicePages(app: FastifyInstance, deps: WebDeps): void {
  app.get("/portal/invoices", portalListRoute(INVOICE_LIST), async (request, reply) =>
    portalListPage(deps, request, reply, INVOICE_LIST, async (filters) => {
      const input = { ...listPaging(request), ...filters };
      const found = await listPortalInvoices({ ctx: deps.contextOf(request), input });
      return { invoices: found.data.map((i) => invoiceView(i)), pager: pagerOf(request, found.meta) };
    }),
  );

  app.get<{ Params: { id: string } }>("/portal/invoices/:id", CUSTOMER, async (request, reply) => {
    const invoice = await getPortalInvoice({
      ctx: deps.contextOf(request),
      input: { id: request.params.id },
    });
    allowFormRedirects(reply, [await checkoutOrigin(deps.config)]);
    return customerPage(deps, request, reply, "portal-invoice", {
      title: `Invoice ${invoice.number ?? invoice.id}`,
      notice: portalNoticeOf(request, invoice),
      invoice: invoiceView(invoice),
      online: onlinePaymentsOn(deps.config),
      card: await cardView(invoice, deps.config),
    });
  });

  app.get<{ Params: { id: string } }>("/portal/invoices/:id/pdf", CUSTOMER, async (request, reply) => {
    const { number, pdf } = await portalInvoicePdf({
      ctx: deps.contextOf(request),
      input: { id: request.params.id },
    });
    return sendPdf(reply, number, pdf);
  });
}
