import type { FastifyInstance } from "fastify";
import { currencyDisplays } from "../../services/currencies/currencies.ts";
import { listPortalCreditNotes, portalCreditNotePdf } from "../../services/portal/portal-credit-notes.ts";
import { customerPage, money, pageQuery, pagerOf } from "../page-kit.ts";
import type { WebDeps } from "../web-deps.ts";
import { listFilterPage } from "../list-filters.ts";
import { sendPdf } from "./invoice-pages.ts";
import { CUSTOMER } from "./portal-notices.ts";

// The customer's credit notes (corrections of issued invoices, billing-rules §7) and their PDFs.

export function registerPortalCreditNotePages(app: FastifyInstance, deps: WebDeps): void {
  app.get("/portal/credit-notes", CUSTOMER, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const list = { title: "Credit notes", listPath: "/portal/credit-notes" };
    const shown = { template: "portal-credit-notes", data: list, filters: [], empty: { notes: [] } };
    return listFilterPage(customerPage, deps, request, reply, shown, async () => {
      const [page, displays] = await Promise.all([
        listPortalCreditNotes({ ctx, input: pageQuery(request) }),
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
