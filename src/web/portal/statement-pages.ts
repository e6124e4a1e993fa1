import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  STATEMENT_KIND_LABELS,
  statementReference,
  statementTotals,
} from "../../billing/documents/statement-content.ts";
import { portalStatement, portalStatementFile } from "../../services/portal/portal-statement.ts";
import { queryText } from "../list-filters.ts";
import { walkPagerOf, walkQuery } from "../list-walk.ts";
import { money } from "../page-kit.ts";
import { PageQuery } from "../../kernel/pagination.ts";
import type { WebDeps } from "../web-deps.ts";
import { CUSTOMER } from "./portal-notices.ts";
import { type PortalList, portalListPage, portalListRoute } from "./portal-lists.ts";

// The customer's statement (billing-rules §7): every invoice, payment, refund, credit note and credit applied,
// with the running balance, in the words of the statement's PDF (statement-content.ts), and its downloads.

/** A list without filters: the portal lists' paging, its refusals of a bad page number and its empty page. */
const STATEMENT_LIST: PortalList = {
  path: "/portal/statement",
  title: "Statement",
  template: "portal-statement",
  rows: "entries",
  filters: [],
  none: "Nothing on your statement yet: it begins with your first invoice or payment.",
  noneMatching: "Nothing on your statement yet: it begins with your first invoice or payment.",
};

const FORMATS = {
  csv: "text/csv; charset=utf-8",
  pdf: "application/pdf",
} as const;

/**
 * Whether the address asks for a later page by its number alone (no cursor): an old link, or one typed. Only
 * the first page is read by number; a later one would make the database group and sort every event before it
 * (OFFSET), so it is answered with the first page, whose Next walks by cursor. A number that is no page number
 * is left to the verb, which refuses it as every list does.
 */
function laterPageByNumber(request: FastifyRequest): boolean {
  if (queryText(request, "cursor") !== undefined) return false;
  const page = PageQuery.shape.page.safeParse(
    (request.query as Record<string, unknown> | undefined)?.["page"],
  );
  return page.success && page.data > 1;
}

export function registerPortalStatementPages(app: FastifyInstance, deps: WebDeps): void {
  app.get("/portal/statement", portalListRoute(STATEMENT_LIST), async (request, reply) => {
    // Until 2026-12-07 ?page=N read page N by OFFSET (docs/portal.md, "Statement").
    if (laterPageByNumber(request)) return reply.redirect(STATEMENT_LIST.path, 303);
    return portalListPage(deps, request, reply, STATEMENT_LIST, async () => {
      const statement = await portalStatement({ ctx: deps.contextOf(request), input: walkQuery(request) });
      const m = (v: bigint) => money(v, statement.currency);
      return {
        currency: statement.currency.code,
        date: statement.date,
        entries: statement.entries.data.map((e) => ({
          date: e.date,
          what: STATEMENT_KIND_LABELS[e.kind],
          reference: statementReference(e),
          // The invoice's own page; a credit note has no page in the portal, only its PDF (as its list links).
          href:
            e.invoiceId !== null
              ? `/portal/invoices/${encodeURIComponent(e.invoiceId)}`
              : e.creditNoteId !== null
                ? `/portal/credit-notes/${encodeURIComponent(e.creditNoteId)}/pdf`
                : undefined,
          amount: m(e.amount),
          balance: m(e.balance),
        })),
        totals: statementTotals(statement, m),
        pager: walkPagerOf(request, statement.entries.meta),
      };
    });
  });

  for (const format of ["pdf", "csv"] as const)
    app.get(`/portal/statement.${format}`, CUSTOMER, async (request, reply) => {
      const { name, body } = await portalStatementFile({ ctx: deps.contextOf(request), input: { format } });
      return reply
        .header("cache-control", "no-store")
        .header("content-disposition", `attachment; filename="${name}"`)
        .type(FORMATS[format])
        .send(body);
    });
}
