import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { issueCreditNote } from "../../billing/credit-notes/issue-credit-note.ts";
import { STATEMENT_CSV_COLUMNS } from "../../billing/documents/statement-csv.ts";
import { pdfText } from "../../billing/documents/testing/pdf-text.ts";
import { recordPayment } from "../../billing/payments/record-payment.ts";
import { calendarDate } from "../../billing/runs/calendar-date.ts";
import { actors } from "../../kernel/actor.ts";
import { portalStatement } from "../../services/portal/portal-statement.ts";
import {
  loggedInPortal,
  namedPortalCustomer,
  operatorContext,
  PortalClient,
  type PortalCustomer,
} from "./testing/portal-fixtures.ts";

// The portal's statement page and its downloads (docs/portal.md, "Statement"): the session customer's entries
// with the running balance, the closing figures as GET /customers/{id}/statement gives them, refunds in the
// PDF's words, and the PDF and CSV as attachments; never another customer's, and nothing without a session.

const file = serverPerFile();
let ada: PortalCustomer;
let bob: PortalCustomer;
const TODAY = calendarDate(new Date(), "UTC");

beforeAll(async () => {
  ada = await namedPortalCustomer(file.handle, "Ada");
  // Bob pays his one invoice in full (the rest in cash), then a $5.00 note refunds the cash payment.
  bob = await namedPortalCustomer(file.handle, "Bob", { single: true });
  const ctx = operatorContext(file.handle);
  await recordPayment({
    ctx,
    input: { invoice_id: bob.invoiceId, amount: 3040n, method: "cash", reference: "CASH-BOB" },
  });
  await issueCreditNote({
    ctx,
    input: { invoice_id: bob.invoiceId, amount: 500n, reason: "Outage", settlement: "refund" },
  });
});

/** The statement table's rows as the cells' text, markup (the dates' <time> elements) left out. */
function entryRows(html: string): string[][] {
  const table = /<table[^>]*id="statement-entries"[\s\S]*?<tbody[^>]*>([\s\S]*?)<\/tbody>/.exec(html)?.[1];
  if (table === undefined) return [];
  return [...table.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) =>
      cell[1]!
        .replace(/<[^>]+>/g, "")
        .replaceAll("&#39;", "'")
        .trim(),
    ),
  );
}

/** RFC 4180: fields quoted when they hold a comma, quote or line break, quotes doubled; CRLF row ends. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted) {
      if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else {
      field += c;
    }
  }
  return rows;
}

/** An invoice's number: the fixture numbers invoices from a counter other test files in the worker also move. */
async function numberOf(invoiceId: string): Promise<string | null> {
  const row = await file.handle.db
    .selectFrom("invoice")
    .select("number")
    .where("id", "=", invoiceId)
    .executeTakeFirstOrThrow();
  return row.number;
}

async function apiStatement(customer: PortalCustomer) {
  const answer = await file.server.api("GET", `/api/v1/customers/${customer.id}/statement`);
  expect(answer.status).toBe(200);
  return answer.body.data as {
    balance: number;
    credit: number;
    credit_held: number;
    entries: { kind: string; amount: number; balance: number; refund_method: string | null }[];
  };
}

describe("the portal's statement page", () => {
  it("shows the customer's entries newest first with exact amounts, and the API's closing balance", async () => {
    const page = await (await loggedInPortal(file.server, ada)).get("/portal/statement");
    expect(page.status).toBe(200);
    // $51.40 and $12.34 invoiced, $20.00 paid by bank transfer, a $1.00 credit note: $42.74 owed.
    expect(entryRows(page.text)).toEqual([
      [TODAY, "Credit note", ada.creditNoteNumber, "-$1.00", "$42.74"],
      [TODAY, "Payment", `bank_transfer BT-${ada.id}`, "-$20.00", "$43.74"],
      ["2026-11-01", "Invoice", await numberOf(ada.unpaidInvoiceId), "$12.34", "$63.74"],
      ["2026-11-01", "Invoice", ada.invoiceNumber, "$51.40", "$51.40"],
    ]);
    const api = await apiStatement(ada);
    expect(api.balance).toBe(4274);
    expect(page.text).toContain('id="statement-balance"><strong>$42.74</strong>');
    expect(page.text).toContain("Balance due");
    expect(page.text).toContain(`up to <time datetime="${TODAY}">${TODAY}</time>`);
    // Reached from the portal's navigation and its overview.
    expect(page.text).toContain('<a href="/portal/statement" aria-current="page">Statement</a>');
    expect((await (await loggedInPortal(file.server, ada)).get("/portal")).text).toContain(
      'href="/portal/statement"',
    );
  });

  it("writes a refund in the PDF's words and matches the API's figures entry by entry", async () => {
    const page = await (await loggedInPortal(file.server, bob)).get("/portal/statement");
    const rows = entryRows(page.text);
    const api = await apiStatement(bob);
    // The same entries as the API's, newest first, each amount and running balance in dollars and cents.
    const dollars = (minor: number) => `${minor < 0 ? "-" : ""}$${(Math.abs(minor) / 100).toFixed(2)}`;
    expect(rows.map((r) => [r[3], r[4]])).toEqual(
      [...api.entries].reverse().map((e) => [dollars(e.amount), dollars(e.balance)]),
    );
    const refund = rows.find((r) => r[1] === "Refund");
    expect(refund?.[2]).toMatch(/ \(paid back in cash\)$/);
    expect(refund?.[3]).toBe("$5.00");
    expect(api.balance).toBe(0);
    expect(page.text).toContain('id="statement-balance"><strong>$0.00</strong>');
  });

  it("pages the entries 50 at a time, and refuses a bad page number as the other lists do", async () => {
    const client = await loggedInPortal(file.server, ada);
    // A later page is reached by cursor, not by number (until 2026-12-07 ?page=7 was read by OFFSET).
    const past = await client.get("/portal/statement?page=7");
    expect(past.status).toBe(303);
    expect(past.location).toBe("/portal/statement");
    const bad = await client.get("/portal/statement?page=abc");
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/page: must be a whole number from 1 to 1000000/i);
    expect(bad.text).not.toContain(ada.invoiceNumber);
    // The verb's pages, two entries a page: the newest two, then the oldest two.
    const ctx = { ...operatorContext(file.handle), actor: actors.customer(ada.id) };
    const first = await portalStatement({ ctx, input: { page: 1, per_page: 2 } });
    expect(first.entries.meta).toMatchObject({ page: 1, per_page: 2, total: 4, last_page: 2 });
    const cursor = first.entries.meta.next_cursor!;
    const second = await portalStatement({ ctx, input: { page: 1, per_page: 2, cursor } });
    expect(second.entries.meta).toEqual({
      page: null,
      per_page: 2,
      total: null,
      last_page: null,
      next_cursor: null,
    });
    expect(second.entries.data.map((e) => e.amount)).toEqual([1234n, 5140n]);
    expect(second.balance).toBe(4274n);
  });
});

describe("the statement's downloads", () => {
  it("are attachments: the CSV holds the API's entries, the PDF is the customer's statement", async () => {
    const client = await loggedInPortal(file.server, ada);
    const csv = await client.get("/portal/statement.csv");
    expect(csv.status).toBe(200);
    expect(csv.type).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toBe(
      `attachment; filename="statement-${ada.id}-${TODAY}.csv"`,
    );
    const [header, ...rows] = parseCsv(csv.text);
    expect(header).toEqual([...STATEMENT_CSV_COLUMNS]);
    const column = (name: string) => STATEMENT_CSV_COLUMNS.indexOf(name as never);
    const api = await apiStatement(ada);
    expect(
      rows.map((r) => [r[column("kind")], r[column("amount_minor")], r[column("balance_minor")]]),
    ).toEqual(api.entries.map((e) => [e.kind, String(e.amount), String(e.balance)]));
    expect(rows.map((r) => r[column("amount")])).toEqual(["51.40", "12.34", "-20.00", "-1.00"]);

    const pdf = await client.get("/portal/statement.pdf");
    expect(pdf.status).toBe(200);
    expect(pdf.type).toBe("application/pdf");
    expect(pdf.headers.get("content-disposition")).toBe(
      `attachment; filename="statement-${ada.id}-${TODAY}.pdf"`,
    );
    const text = await pdfText(pdf.body);
    expect(text).toContain(ada.invoiceNumber);
    expect(text).toContain("$42.74");
  });
});

describe("whose statement", () => {
  it("is always the session's: another customer's session never sees it, page or download", async () => {
    const client = await loggedInPortal(file.server, bob);
    const adas = [ada.invoiceNumber, ada.creditNoteNumber, `BT-${ada.id}`];
    // Ada's id anywhere in the address is not read: Bob gets his own statement.
    const page = await client.get(`/portal/statement?customer_id=${ada.id}&id=${ada.id}`);
    const csv = await client.get(`/portal/statement.csv?customer_id=${ada.id}`);
    const pdf = await client.get(`/portal/statement.pdf?customer_id=${ada.id}`);
    expect([page.status, csv.status, pdf.status]).toEqual([200, 200, 200]);
    const pdfWords = await pdfText(pdf.body);
    for (const secret of adas) {
      expect(page.text).not.toContain(secret);
      expect(csv.text).not.toContain(secret);
      expect(pdfWords).not.toContain(secret);
    }
    expect(csv.text).toContain("CASH-BOB");
    expect(pdfWords).toContain("CASH-BOB");
    // No address names a customer's statement: one that tries is the portal's not-found page.
    for (const path of [`/portal/statement/${ada.id}`, `/portal/customers/${ada.id}/statement.csv`]) {
      const answer = await client.get(path);
      expect(answer.status, path).toBe(404);
      expect(answer.text).not.toContain(ada.invoiceNumber);
    }
  });

  it("sends a browser without a session to the login, which ends on the statement", async () => {
    const anonymous = new PortalClient(file.server.url);
    for (const path of ["/portal/statement", "/portal/statement.csv", "/portal/statement.pdf"]) {
      const answer = await anonymous.get(path);
      expect(answer.status, path).toBe(303);
      expect(answer.location).toBe(`/portal/login?next=${encodeURIComponent(path)}`);
    }
  });
});
