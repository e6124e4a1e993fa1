import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { issueCreditNote } from "../../billing/credit-notes/issue-credit-note.ts";
import { recordPayment } from "../../billing/payments/record-payment.ts";
import { refundPayment } from "../../billing/payments/refund.ts";
import { postLedgerEvents } from "../../billing/ledger/ledger.ts";
import { customerStatement } from "../../billing/payments/statement.ts";
import { customerStatementPage, STATEMENT_COUNT_UP_TO } from "../../billing/payments/statement-page.ts";
import { calendarDate } from "../../billing/runs/calendar-date.ts";
import { actors } from "../../kernel/actor.ts";
import { portalStatement } from "../../services/portal/portal-statement.ts";
import {
  issueInvoiceWithLine,
  loggedInPortal,
  namedPortalCustomer,
  operatorContext,
  type PortalCustomer,
} from "./testing/portal-fixtures.ts";

// The statement page read a page at a time (docs/portal.md, "Statement"): every page's rows and running
// balances are the full statement's (GET /customers/{id}/statement), walked by cursor so an entry recorded
// meanwhile moves nothing; an invoice entry links to the customer's own invoice, a credit note to its PDF.

const file = serverPerFile();
let cleo: PortalCustomer;
let dan: PortalCustomer;

beforeAll(async () => {
  const ctx = operatorContext(file.handle);
  // Cleo: invoices, payments by three methods, a plain refund, a note paid back two ways, credit applied.
  cleo = await namedPortalCustomer(file.handle, "Cleo");
  const more: string[] = [];
  for (const [total, period] of [
    [3000n, "2026-05"],
    [4000n, "2026-06"],
    [700n, "2026-07"],
    [900n, "2026-08"],
  ] as const)
    more.push(
      await issueInvoiceWithLine(file.handle, {
        customerId: cleo.id,
        dueDate: "2099-01-01",
        currency: "USD",
        total,
        period,
      }),
    );
  const [third, fourth, fifth, sixth] = more as [string, string, string, string];
  const pay = (invoice_id: string, amount: bigint, method: string, reference: string) =>
    recordPayment({ ctx, input: { invoice_id, amount, method, reference } });
  await pay(third, 1000n, "cash", "CLEO-CASH");
  await pay(third, 2000n, "bank_transfer", "CLEO-BT-3");
  // Paid back both ways: a credit note entry, then a refund entry per method.
  await issueCreditNote({
    ctx,
    input: { invoice_id: third, amount: 3000n, reason: "Cancelled", settlement: "refund" },
  });
  const cheque = await pay(fourth, 4000n, "cheque", "CLEO-CHQ");
  await refundPayment({ ctx, input: { payment_id: cheque.payment.id, amount: 500n } });
  // A sixth invoice paid, the rest paid with credit over, then the sixth's payment refunded: the reopened
  // invoice takes the credit.
  const paid = await pay(sixth, 900n, "bank_transfer", "CLEO-BT-6");
  await recordPayment({
    ctx,
    input: { customer_id: cleo.id, amount: 10000n, method: "bank_transfer", reference: "CLEO-CREDIT" },
  });
  await refundPayment({ ctx, input: { payment_id: paid.payment.id, amount: 900n } });
  await issueCreditNote({ ctx, input: { invoice_id: fifth, amount: 200n, reason: "Goodwill" } });
  dan = await namedPortalCustomer(file.handle, "Dan");
});

const cleoContext = () => ({ ...operatorContext(file.handle), actor: actors.customer(cleo.id) });

/** The full statement's entries as the portal shows them: newest first, each day a calendar date. */
async function fullStatementNewestFirst(customer: PortalCustomer) {
  const full = await customerStatement(operatorContext(file.handle), customer.id);
  return [...full.entries]
    .reverse()
    .map((e) => [calendarDate(new Date(e.date), "UTC"), e.kind, e.reference, e.amount, e.balance]);
}

/** Every page of the verb's, `perPage` a page, walked by each page's cursor as the page's Next link does. */
async function walk(perPage: number) {
  const pages = [];
  let cursor: string | undefined;
  do {
    const page = await portalStatement({
      ctx: cleoContext(),
      input: cursor === undefined ? { page: 1, per_page: perPage } : { page: 1, per_page: perPage, cursor },
    });
    pages.push(page);
    cursor = page.entries.meta.next_cursor ?? undefined;
  } while (cursor !== undefined && pages.length < 50);
  return pages;
}

describe("the statement page read a page at a time", () => {
  it("gives every row and running balance of the full statement, page after page", async () => {
    const expected = await fullStatementNewestFirst(cleo);
    const kinds = new Set(expected.map((e) => e[1]));
    expect([...kinds].sort()).toEqual(["credit_applied", "credit_note", "invoice", "payment", "refund"]);
    for (const perPage of [3, 4, 7]) {
      const pages = await walk(perPage);
      expect(pages.length, `${perPage} a page`).toBeGreaterThan(2);
      const shown = pages.flatMap((p) =>
        p.entries.data.map((e) => [e.date, e.kind, e.reference, e.amount, e.balance]),
      );
      expect(shown, `${perPage} a page`).toEqual(expected);
      // A page is per_page events: a note paid back keeps its refund lines beside it, never split.
      for (const p of pages) expect(p.entries.data.length).toBeLessThanOrEqual(perPage + 2);
    }
  });

  it("walks by cursor, so an entry recorded between two pages neither repeats nor skips a row", async () => {
    const first = await portalStatement({ ctx: cleoContext(), input: { page: 1, per_page: 3 } });
    const before = await fullStatementNewestFirst(cleo);
    await recordPayment({
      ctx: operatorContext(file.handle),
      input: { customer_id: cleo.id, amount: 1n, method: "cash", reference: "CLEO-LATE" },
    });
    const cursor = first.entries.meta.next_cursor;
    expect(cursor).not.toBeNull();
    const next = await portalStatement({
      ctx: cleoContext(),
      input: { page: 1, per_page: 3, cursor: cursor! },
    });
    const seen = [...first.entries.data, ...next.entries.data].map((e) => [e.kind, e.reference, e.balance]);
    expect(seen).toEqual(before.slice(0, seen.length).map((e) => [e[1], e[2], e[4]]));
    // The page takes the cursor from its address: the rows after it, and a cursor it did not make is a 400.
    const client = await loggedInPortal(file.server, cleo);
    const page = await client.get(`/portal/statement?cursor=${cursor}&page=2`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(next.entries.data[0]!.reference);
    expect(page.text).not.toContain("CLEO-LATE");
    const bad = await client.get("/portal/statement?cursor=nonsense");
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/cursor/);
  });

  it("says beside the downloads that they list the entries oldest first", async () => {
    const page = await (await loggedInPortal(file.server, cleo)).get("/portal/statement");
    expect(page.text).toMatch(/Download as CSV<\/a>[\s\S]{0,200}oldest first/);
  });
});

describe("the statement's count", () => {
  it("is read only for a statement of countUpTo events or fewer: a longer one's first page is not counted", async () => {
    const ctx = operatorContext(file.handle);
    const full = await customerStatement(ctx, cleo.id);
    const events = new Set(full.entries.map((e) => e.event_id)).size;
    const counted = await customerStatementPage(ctx, cleo.id, { limit: 3, count: true, countUpTo: events });
    expect(counted.counts).toEqual({ events, entries: full.entries.length });
    // Until 2026-12-07 every first page counted every event of the customer, however many.
    const long = await customerStatementPage(ctx, cleo.id, { limit: 3, count: true, countUpTo: events - 1 });
    expect(long.counts).toBeNull();
    expect(long.entries).toEqual(counted.entries);
  });

  it('leaves the first page of a long statement saying "Page 1" with its Next link, and no "of"', async () => {
    const eve = await namedPortalCustomer(file.handle, "Eve");
    const at = new Date("2026-01-01T00:00:00Z");
    await file.handle.db.transaction().execute((trx) =>
      postLedgerEvents(
        trx,
        Array.from({ length: STATEMENT_COUNT_UP_TO }, (_, i) => ({
          id: `open:eve-${eve.id}-${i}`,
          kind: "opening" as const,
          customerId: eve.id,
          currency: "USD",
          at,
          lines: [
            { account: "cash" as const, amount: 1n },
            { account: "credit" as const, amount: -1n },
          ],
        })),
      ),
    );
    const page = await (await loggedInPortal(file.server, eve)).get("/portal/statement");
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<span>Page 1<\/span>/);
    expect(page.text).toMatch(/<a href="\/portal\/statement\?cursor=[^"]+&amp;page=2" rel="next">Next<\/a>/);
  });
});

describe("the statement's page numbers", () => {
  it("reads only the first page by number: a later page's number is a 303 to it, never an OFFSET read", async () => {
    const client = await loggedInPortal(file.server, cleo);
    // Until 2026-12-07 ?page=900 read by OFFSET, the database grouping and sorting every event before it.
    for (const asked of ["2", "900", "1000000"]) {
      const answer = await client.get(`/portal/statement?page=${asked}`);
      expect(answer.status, asked).toBe(303);
      expect(answer.location, asked).toBe("/portal/statement");
    }
    const first = await client.get("/portal/statement?page=1");
    expect(first.status).toBe(200);
    expect(first.text).toContain("CLEO-CREDIT");
    // A number that is no page number is refused as on the other lists, beside the list (400).
    const bad = await client.get("/portal/statement?page=abc");
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/page: must be a whole number from 1 to 1000000/i);
    // Nor does the verb read a later page by number: it refuses one, saying how pages are reached.
    await expect(
      portalStatement({ ctx: cleoContext(), input: { page: 2, per_page: 3 } }),
    ).rejects.toMatchObject({ code: "VALIDATION", issues: [expect.objectContaining({ field: "page" })] });
  });
});

describe("the statement's links", () => {
  it("links each invoice entry to the customer's own invoice page and a credit note to its PDF", async () => {
    const client = await loggedInPortal(file.server, cleo);
    const page = await client.get("/portal/statement");
    const links = [
      ...page.text.matchAll(/<a href="(\/portal\/(?:invoices|credit-notes)\/[^"]+)">([^<]+)<\/a>/g),
    ];
    const invoiceLinks = links.filter((l) => l[1]!.startsWith("/portal/invoices/"));
    const noteLinks = links.filter((l) => l[1]!.startsWith("/portal/credit-notes/"));
    // Six invoices, three credit notes (the fixture's, the one paid back, the goodwill one).
    expect(invoiceLinks).toHaveLength(6);
    expect(noteLinks).toHaveLength(3);
    for (const [, href, text] of invoiceLinks) {
      const id = /^\/portal\/invoices\/([^/]+)$/.exec(href!)?.[1];
      const invoice = await file.handle.db
        .selectFrom("invoice")
        .select(["customer_id", "number"])
        .where("id", "=", id!)
        .executeTakeFirstOrThrow();
      // The link's text is the invoice's number: the right invoice, and Cleo's.
      expect([invoice.customer_id, invoice.number]).toEqual([cleo.id, text]);
      const shown = await client.get(href!);
      expect(shown.status, href).toBe(200);
      expect(shown.text).toContain(invoice.number!);
    }
    for (const [, href, text] of noteLinks) {
      const id = /^\/portal\/credit-notes\/([^/]+)\/pdf$/.exec(href!)?.[1];
      const note = await file.handle.db
        .selectFrom("credit_note")
        .select(["customer_id", "number"])
        .where("id", "=", id!)
        .executeTakeFirstOrThrow();
      expect([note.customer_id, note.number]).toEqual([cleo.id, text]);
      expect((await client.get(href!)).status, href).toBe(200);
    }
    expect(links.map((l) => l[1])).toContain(`/portal/credit-notes/${cleo.creditNoteId}/pdf`);
    // Dan's page links only Dan's: none of Cleo's invoices or notes.
    const dans = await (await loggedInPortal(file.server, dan)).get("/portal/statement");
    for (const [, href] of links) expect(dans.text).not.toContain(`href="${href}"`);
    expect(dans.text).toContain(`href="/portal/invoices/${dan.invoiceId}"`);
  });
});
