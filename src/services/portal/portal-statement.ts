import { z } from "zod";
import type { StatementDocument } from "../../billing/documents/statement-document.ts";
import { calendarDate } from "../../billing/runs/calendar-date.ts";
import { renderCustomerStatement } from "../../billing/statements/render-statement.ts";
import { statementDocumentOf } from "../../billing/statements/statement-document-of.ts";
import { offsetOf, type Page, PageQuery, pageOf } from "../../kernel/pagination.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { portalCustomerId } from "./portal-customer.ts";

// The session customer's statement (billing-rules §7): the page's entries a page at a time, and the PDF and
// CSV the admin API and the console give of it. There is no customer id to take from the request.

/** The statement with one page of its entries, newest first; balance and credit are the whole statement's. */
export type PortalStatement = Omit<StatementDocument, "entries"> & {
  entries: Page<StatementDocument["entries"][number]>;
};

/**
 * One page of the statement, newest entry first (as the portal's other lists), each with the running balance
 * after it. The running balance needs every earlier entry, so the whole statement is read (as the PDF, the CSV
 * and GET /customers/{id}/statement read it) and only the page's rows are handed on: 50 a page.
 */
export const portalStatement = defineVerb(PageQuery, async ({ ctx, input }): Promise<PortalStatement> => {
  const doc = await statementDocumentOf(ctx, portalCustomerId(ctx));
  const newestFirst = [...doc.entries].reverse();
  const start = offsetOf(input);
  const rows = newestFirst.slice(start, start + input.per_page);
  return { ...doc, entries: pageOf(rows, newestFirst.length, input) };
});

/** The statement's downloads: the same documents as GET /customers/{id}/statement.pdf and .csv. */
export const portalStatementFile = defineVerb(
  z.object({ format: z.enum(["csv", "pdf"]) }).strict(),
  async ({ ctx, input }): Promise<{ name: string; body: string | Buffer }> => {
    const customerId = portalCustomerId(ctx);
    const body = await renderCustomerStatement({ ctx, input: { id: customerId, format: input.format } });
    // Named by the customer and the day it was made (the statement's own date, BILLING_TIME_ZONE).
    const day = calendarDate(ctx.now(), ctx.config.BILLING_TIME_ZONE);
    return { name: `statement-${customerId}-${day}.${input.format}`, body };
  },
);
