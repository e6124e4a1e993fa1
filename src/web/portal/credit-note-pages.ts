import type { FastifyInstance } from "fastify";
import { creditNoteOutcome } from "../../billing/documents/credit-note-content.ts";
import { currencyDisplays } from "../../services/currencies/currencies.ts";
import { listPortalCreditNotes, portalCreditNotePdf } from "../../services/portal/portal-credit-notes.ts";
import { listPaging, money, pagerOf } from "../page-kit.ts";
import type { WebDeps } from "../web-deps.ts";
import { sendPdf } from "./invoice-pages.ts";
import { CUSTOMER } from "./portal-notices.ts";
import { type PortalList, portalListPage, portalListRoute } from "./portal-lists.ts";

// The customer's credit notes (corrections of issued invoices, billing-rules §7) and their PDFs.

/**
 * The list, filtered by the month a note was issued and by where its money went (`settled`, settledAs): the Settled
 * column says it in the note's own words, so a customer asking where a refund went sees the answer in the row.
 */
const CREDIT_NOTE_LIST: PortalList = {
  path: "/portal/credit-notes",
  title: "Credit notes",
  template: "portal-credit-notes",
  rows: "notes",
  filters: [
    { name: "month", label: "Month issued (YYYY-MM)" },
    {
      name: "settled",
      label: "Settled",
      choices: [
        ["refund", "Refunded or paid back to you"],
        ["credit", "Kept as credit"],
        ["invoice", "Lowered what an invoice owes"],
      ],
    },
  ],
  none: "No credit notes. A credit note corrects an invoice when we owe you part of it back.",
  noneMatching: "No credit notes match these filters.",
  // The filter was `settlement` until 2026-12-07 (the API's word for what staff asked): an old link is sent to
  // `settled` rather than shown unfiltered, as it was that day.
  renamed: { settlement: "settled" },
};

export function registerPortalCreditNotePages(app: FastifyInstance, deps: WebDeps): void {
  app.get("/portal/credit-notes", portalListRoute(CREDIT_NOTE_LIST), async (request, reply) => {
    const ctx = deps.contextOf(request);
    return portalListPage(deps, request, reply, CREDIT_NOTE_LIST, async (filters) => {
      const [page, displays] = await Promise.all([
        listPortalCreditNotes({ ctx, input: { ...listPaging(request), ...filters } }),
        currencyDisplays({ ctx, input: {} }),
      ]);
      return {
        notes: page.data.map((n) => {
          const cur = displays.get(n.currency);
          // Every currency a document uses exists (foreign key); without one no amount is shown rather than a wrong one.
          const m = (v: bigint) => (cur ? money(v, cur) : "—");
          return {
            id: n.id,
            number: n.number,
            issue_date: n.issue_date,
            invoice: { id: n.invoice_id, number: n.invoice_number ?? n.invoice_id },
            reason: n.reason,
            // Where its money went, in the words of the note's PDF (rendered as it stands now, as the PDF is).
            settled: creditNoteOutcome({ ...n, invoiceNumber: n.invoice_number ?? n.invoice_id }, m),
            net: m(n.net),
            tax: m(n.tax_total),
            total: m(n.total),
          };
        }),
        pager: pagerOf(request, page.meta),
      };
    });
  });

  app.get<{ Params: { id: string } }>("/portal/credit-notes/:id/pdf", CUSTOMER, async (request, reply) => {
    const { number, pdf } = await portalCreditNotePdf({
      ctx: deps.contextOf(request),
      input: { id: request.params.id },
    });
    return sendPdf(reply, number, pdf);
  });
}
