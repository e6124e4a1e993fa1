import type { FastifyInstance } from "fastify";
import type { CreditNote } from "../../billing/credit-notes/credit-note-schemas.ts";
import { listCreditNotesNamed, readCreditNote } from "../../billing/credit-notes/get-credit-note.ts";
import { getInvoice } from "../../billing/invoices/get-invoice.ts";
import { SETTLED_AS, type SettledAs } from "../../billing/documents/settled-ways.ts";
import { renderCreditNote } from "../../billing/statements/render-credit-note.ts";
import type { CurrencyDisplay } from "../../domain/money.ts";
import { currencyDisplays } from "../../services/currencies/currencies.ts";
import { money, staffPage, when } from "../page-kit.ts";
import { walkPagerOf, walkQuery } from "../list-walk.ts";
import type { WebDeps } from "../web-deps.ts";
import { filteredListPage, filteredListRoute } from "./list-walk.ts";
import { filterValues, shownValues } from "../list-filters.ts";
import { STAFF, noticeFrom } from "./page-helpers.ts";

// Credit notes (billing-rules §7): the list by number (of a customer, of where its money went), one note with
// its taxes, and its PDF. They are issued
// from their invoice's page (invoice-action-pages.ts). The verbs check the staff role.

const NOTICES: Record<string, string> = {
  issued: "The credit note is issued and numbered.",
  // Its form sent again under the form's one-time key (src/web/form-once.ts).
  issued_before: "This form was sent before: this is the credit note it issued, and nothing more was issued.",
};

const FILTERS = ["customer_id", "settled"] as const;

/**
 * The `settled` select's choices: where some of a note's money went, in the words of the portal's and the API's
 * filter (settled-ways.ts), which the verb checks. Short, so the select fits a phone's width; the page says
 * under the form where pending and failed card refunds go.
 */
const SETTLED_CHOICES: Record<SettledAs, string> = {
  invoice: "Lowered what an invoice owes",
  refund: "Refunded or paid back",
  credit: "Kept as credit",
};

export function registerCreditNotePages(app: FastifyInstance, deps: WebDeps): void {
  app.get("/console/credit-notes", filteredListRoute(FILTERS), async (request, reply) => {
    const ctx = deps.contextOf(request);
    const values = filterValues(request, FILTERS);
    const displays = await currencyDisplays({ ctx, input: {} });
    const settled = SETTLED_AS.map((value) => ({ value, label: SETTLED_CHOICES[value] }));
    const data = { title: "Credit notes", values: shownValues(values), settled };
    const page = { template: "console-credit-note-list", data, filters: FILTERS, empty: { notes: [] } };
    return filteredListPage(deps, request, reply, page, async () => {
      // Walked by cursor as invoices and payments are (until 2026-12-07 by page number: an OFFSET).
      const found = await listCreditNotesNamed({ ctx, input: { ...walkQuery(request), ...values } });
      return {
        notes: found.data.map((n) => rowOf(n, displays.get(n.currency))),
        pager: walkPagerOf(request, found.meta),
      };
    });
  });

  app.get<{ Params: { id: string } }>("/console/credit-notes/:id", STAFF, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const note = await readCreditNote({ ctx, input: { id: request.params.id } });
    // The invoice by its number and the customer by name, as the invoice page names them (until 2026-12-06
    // the raw inv_… id and the customer's number).
    const [displays, invoice] = await Promise.all([
      currencyDisplays({ ctx, input: {} }),
      getInvoice({ ctx, input: { id: note.invoice_id } }),
    ]);
    const display = displays.get(note.currency);
    const show = (minor: bigint) => amountIn(minor, note.currency, display);
    return staffPage(deps, request, reply, "console-credit-note", {
      title: `Credit note ${note.number}`,
      note: rowOf(note, display),
      invoice: {
        number: invoice.number ?? "Draft",
        customer: invoice.customer.name || invoice.customer.email,
      },
      net: show(note.net),
      taxes: note.taxes.map((t) => ({ ...t, amount: show(t.amount) })),
      lines: note.lines.map((l) => ({ position: l.position, amount: show(l.amount) })),
      notice: noticeFrom(request, NOTICES),
    });
  });

  app.get<{ Params: { id: string } }>("/console/credit-notes/:id/pdf", STAFF, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const note = await readCreditNote({ ctx, input: { id: request.params.id } });
    const pdf = await renderCreditNote({ ctx, input: { id: note.id, format: "pdf" } });
    return reply
      .header("cache-control", "no-store")
      .header("content-disposition", `inline; filename="${note.number.replace(/[^A-Za-z0-9._-]/g, "_")}.pdf"`)
      .type("application/pdf")
      .send(pdf);
  });
}

function amountIn(minor: bigint, code: string, display: CurrencyDisplay | undefined): string {
  return display ? money(minor, display) : `${minor} (${code} minor units)`;
}

function rowOf(note: CreditNote, display: CurrencyDisplay | undefined) {
  return {
    ...note,
    total: amountIn(note.total, note.currency, display),
    tax_total: amountIn(note.tax_total, note.currency, display),
    created: when(note.created_at),
  };
}
