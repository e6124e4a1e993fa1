import type { FastifyReply, FastifyRequest } from "fastify";
import { listCreditNotes } from "../../billing/credit-notes/get-credit-note.ts";
import { listInvoiceCreditNoteSettlements } from "../../billing/credit-notes/credit-note-settlements.ts";
import { creditNoteSettlementWords } from "../../billing/documents/invoice-content.ts";
import { getInvoice } from "../../billing/invoices/get-invoice.ts";
import { listMonthInvoices } from "../../billing/invoices/list-month-invoices.ts";
import { reissueNeighbours } from "../../billing/invoices/reissue-chain.ts";
import type { Invoice } from "../../billing/invoices/invoice-schemas.ts";
import { listPayments } from "../../billing/payments/get-payment.ts";
import type { Payment } from "../../billing/payments/payment-schemas.ts";
import type { CurrencyDisplay } from "../../domain/money.ts";
import { calendarDate } from "../../billing/runs/calendar-date.ts";
import { currencyDisplayOf } from "../../services/currencies/currencies.ts";
import { money, pageQuery, pagerOf, paidOn, staffPage, when } from "../page-kit.ts";
import type { FieldErrors } from "../render.ts";
import type { WebDeps } from "../web-deps.ts";
import { paymentAmountHint } from "./invoice-amount.ts";
import { noticeFrom } from "./page-helpers.ts";
import { getDueDateExtension } from "../../billing/dunning/dunning-state.ts";
import { FORM_KEY_FIELD, newFormKey } from "../form-once.ts";
import { REFUND_RELEASE_NOTICES, REFUND_UNCONFIRMED } from "./refund-release-notices.ts";
import { numberedMeta } from "./list-walk.ts";

// The invoice page's model: the invoice with its lines and totals in the invoice's own currency format
// (billing-rules §1, from the currency snapshot the invoice keeps), its payments and credit notes, and what
// can be done to it now. The verbs decide what is allowed; these flags only hide buttons that would fail.

/** Rows of each list on the invoice page (payments, credit notes); more are paged. */
export const LIST_ROWS = 20;

export const INVOICE_NOTICES: Record<string, string> = {
  payment_recorded: "The payment is recorded.",
  payment_repeated:
    "This method and reference were recorded before: it is the same payment, nothing new was recorded.",
  refunded: "The refund is recorded.",
  refund_unconfirmed: REFUND_UNCONFIRMED,
  // A refund form sent again under its one-time key (src/web/form-once.ts).
  refunded_before: "This form was sent before: its refund is recorded once, and nothing more was refunded.",
  voided: "The invoice is void. Its number stays used.",
  voided_reissue:
    "The invoice is void and released for reissue: the next run of its month bills the customer again on a new invoice.",
  reissued:
    "Released for reissue: the next run of the invoice's month bills the customer again on a new invoice.",
  resent: "The invoice is queued to be e-mailed to the customer again.",
  due_date_extended:
    "The due date is extended for dunning; the invoice document keeps its own date. An evaluation is queued.",
  due_date_extended_before:
    "This form was sent before: the due date was extended once, and nothing more was done.",
  ...REFUND_RELEASE_NOTICES,
};

export const STATUS_BADGE: Record<Invoice["status"], string> = {
  draft: "",
  finalized: "warn",
  partially_paid: "warn",
  paid: "ok",
  void: "bad",
};

export const PAYMENT_METHODS = [
  { value: "bank_transfer", text: "Bank transfer" },
  { value: "manual", text: "Manual" },
  { value: "cash", text: "Cash" },
  { value: "cheque", text: "Cheque" },
] as const;

/**
 * A payment the invoice page may refund: recorded against the invoice, or allocated to it now. The list also
 * shows a payment whose allocation here a refund took back (its history); that one is refunded from its
 * customer's page.
 */
export function paysInvoice(payment: Payment, invoiceId: string): boolean {
  return payment.invoice_id === invoiceId || payment.allocations.some((a) => a.invoice_id === invoiceId);
}

/**
 * The other invoices of the page's month, each named by what it is to this one: the void invoice this one
 * replaces, the one that replaced it, or just another of the month. Read from the release order
 * (reissue-chain.ts): listed all alike, a month reissued twice gave no way to tell B, A's reissue, from C.
 */
function monthLinks(month: readonly Invoice[], id: string) {
  const link = (i: Invoice | undefined) =>
    i && { id: i.id, number: i.number ?? "draft", status: i.status.replace("_", " ") };
  const { replaces, reissuedAs, others } = reissueNeighbours(month, id);
  return { replaces: link(replaces), reissuedAs: link(reissuedAs), others: others.map((i) => link(i)!) };
}

/**
 * A payment's refunds still waiting on the payment provider: each may be released (refund-release-pages.ts)
 * when its call to the provider never ran.
 */
export function pendingRefunds(payment: Payment, show: (minor: bigint) => string) {
  return payment.refunds
    .filter((r) => r.status === "pending")
    .map((r) => ({ id: r.id, amount: show(r.amount) }));
}

export function displayOf(invoice: Invoice): CurrencyDisplay {
  return currencyDisplayOf(invoice.currency);
}

export async function invoicePage(
  deps: WebDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  status = 200,
  extra: { errors?: FieldErrors; values?: Record<string, string> } = {},
): Promise<FastifyReply> {
  const ctx = deps.contextOf(request);
  const invoice = await getInvoice({ ctx, input: { id } });
  const display = displayOf(invoice);
  const show = (minor: bigint) => money(minor, display);
  // Each list pages on its own parameter, so the page shows every payment and credit note however many.
  const [payments, creditNotes, settlements, samePeriod, extension] = await Promise.all([
    listPayments({ ctx, input: { ...pageQuery(request, LIST_ROWS, "payments_page"), invoice_id: id } }),
    listCreditNotes({
      ctx,
      input: { ...pageQuery(request, LIST_ROWS, "credit_notes_page"), invoice_id: id },
    }),
    // How each note was settled, in the invoice document's words ("refund pending" while Stripe has not
    // settled a card refund).
    listInvoiceCreditNoteSettlements({ ctx, input: { id } }),
    // A void invoice and its reissue share the customer's month: each page links the other (monthLinks).
    listMonthInvoices({ ctx, input: { id } }),
    // Dunning counts from the extended date, when staff gave one (billing-rules §8).
    getDueDateExtension({ ctx, input: { id } }),
  ]);
  const issued = invoice.status !== "draft" && invoice.status !== "void";
  const today = calendarDate(ctx.now(), ctx.config.BILLING_TIME_ZONE);
  return staffPage(
    deps,
    request,
    reply,
    "console-invoice",
    {
      title: invoice.number ? `Invoice ${invoice.number}` : "Draft invoice",
      invoice,
      badge: STATUS_BADGE[invoice.status],
      lines: (invoice.lines ?? []).map((l) => ({
        ...l,
        hours: l.hours.toLocaleString("en-US"),
        tokens: l.tokens.toLocaleString("en-US"),
        amount: show(l.amount),
      })),
      figures: {
        subtotal: show(invoice.subtotal),
        discounts: invoice.discounts.map((d) => ({ ...d, amount: show(-d.amount) })),
        net: show(invoice.net),
        taxes: invoice.taxes.map((t) => ({ ...t, amount: show(t.amount) })),
        total: show(invoice.total),
        due: show(invoice.amount_due),
      },
      payments: payments.data.map((p) => ({
        ...p,
        date: paidOn(p.paid_at, ctx.config.BILLING_TIME_ZONE),
        amount: show(p.amount),
        refunded: show(p.refunded),
        refundable: p.amount > p.refunded && paysInvoice(p, id),
        pending: pendingRefunds(p, show),
      })),
      // An invoice's few payments page by number (no cursor sent: meta.page and meta.total are set).
      paymentsPager: pagerOf(request, numberedMeta(payments.meta), "payments_page"),
      creditNotes: creditNotes.data.map((c) => {
        const settled = settlements.find((s) => s.number === c.number);
        return {
          ...c,
          total: show(c.total),
          settled: settled === undefined ? "" : creditNoteSettlementWords(settled, show),
        };
      }),
      creditNotesPager: pagerOf(request, numberedMeta(creditNotes.meta), "credit_notes_page"),
      month: monthLinks(samePeriod, id),
      released: when(invoice.void?.released_at),
      extension,
      // The extension form's one-time key (src/web/form-once.ts), fresh each time the page is drawn.
      formKey: { name: FORM_KEY_FIELD, value: newFormKey() },
      can: {
        pay: invoice.status === "finalized" || invoice.status === "partially_paid",
        extend:
          invoice.due_date !== null &&
          (invoice.status === "finalized" || invoice.status === "partially_paid"),
        credit: issued,
        void: invoice.status === "draft" || invoice.status === "finalized",
        reissue: invoice.status === "void" && !invoice.void?.released_at,
        resend: issued,
      },
      methods: PAYMENT_METHODS,
      amountHint: paymentAmountHint(invoice.amount_due, display),
      notice: status === 200 ? noticeFrom(request, INVOICE_NOTICES) : undefined,
      errors: extra.errors ?? {},
      values: { method: "bank_transfer", paid_at: today, ...extra.values },
    },
    status,
  );
}
