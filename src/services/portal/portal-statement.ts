import { z } from "zod";
import type { StatementDocument } from "../../billing/documents/statement-document.ts";
import { customerStatementPage } from "../../billing/payments/statement-page.ts";
import { calendarDate } from "../../billing/runs/calendar-date.ts";
import { renderCustomerStatement } from "../../billing/statements/render-statement.ts";
import { statementDocumentEntry } from "../../billing/statements/statement-document-entry.ts";
import { statementHeadOf } from "../../billing/statements/statement-document-of.ts";
import {
  assertPageOrCursor,
  cursorKeyId,
  cursorParam,
  encodeCursor,
  type KeysetPage,
  readCursor,
} from "../../kernel/list-cursor.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { PageQuery } from "../../kernel/pagination.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { portalCustomerId } from "./portal-customer.ts";

// The session customer's statement (billing-rules §7): the page's entries a page at a time, and the PDF and
// CSV the admin API and the console give of it. There is no customer id to take from the request.

/** A statement entry on the portal's page, with the invoice or credit note it is, for its link. */
export type PortalStatementEntry = StatementDocument["entries"][number] & {
  invoiceId: string | null;
  creditNoteId: string | null;
};

/** The statement with one page of its entries, newest first; balance and credit are the whole statement's. */
export type PortalStatement = Omit<StatementDocument, "entries"> & {
  entries: KeysetPage<PortalStatementEntry>;
};

export const PortalStatementQuery = PageQuery.extend({ cursor: cursorParam });

const LIST = "portal-statement";
/** Why a later page is not read by its number. */
const LATER_PAGES =
  "only the first page is read by number: later pages follow the first page's Next link (cursor)";
const Key = z.tuple([cursorKeyId]);

/**
 * One page of the statement, newest first, each entry with the running balance after it, without reading the
 * rest (customerStatementPage: the database sums the older entries into the balance brought forward). A page
 * is `per_page` ledger events: a credit note paid back shows with its refund lines, so it may hold a few more
 * lines. "Next" walks by cursor (the oldest event shown), so entries recorded meanwhile shift no row onto the
 * next page. Only the first page is read by number (and counted, when short: STATEMENT_COUNT_UP_TO): a later one would skip the events before it
 * by OFFSET, grouping and sorting every one of them (until 2026-12-07 it did); the page answers such a number
 * with the first page (statement-pages.ts), and the verb refuses it.
 */
export const portalStatement = defineVerb(
  PortalStatementQuery,
  async ({ ctx, input }): Promise<PortalStatement> => {
    assertPageOrCursor(input);
    if (input.cursor === undefined && input.page !== 1) throw ServiceError.validation("page", LATER_PAGES);
    const customerId = portalCustomerId(ctx);
    const before =
      input.cursor === undefined ? undefined : BigInt(readCursor(LIST, {}, Key, input.cursor)[0]);
    const page = await customerStatementPage(ctx, customerId, {
      before,
      limit: input.per_page,
      count: input.cursor === undefined,
    });
    const zone = ctx.config.BILLING_TIME_ZONE;
    const entries = page.entries.reverse().map((e) => ({
      ...statementDocumentEntry(e, zone),
      // A payment's entry names the invoice it paid; only the invoice's own entries link to it.
      invoiceId: e.kind === "invoice" ? e.invoice_id : null,
      creditNoteId: e.kind === "credit_note" ? e.credit_note_id : null,
    }));
    const counts = page.counts;
    return {
      ...(await statementHeadOf(ctx, customerId, page.currency)),
      balance: page.balance,
      credit: page.credit,
      creditHeld: page.credit_held,
      entries: {
        data: entries,
        meta: {
          page: input.cursor === undefined ? input.page : null,
          per_page: input.per_page,
          total: counts === null ? null : counts.entries,
          last_page: counts === null ? null : Math.max(1, Math.ceil(counts.events / input.per_page)),
          next_cursor: page.more && page.oldest !== null ? encodeCursor(LIST, {}, [page.oldest]) : null,
        },
      },
    };
  },
);

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
