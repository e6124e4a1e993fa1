import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { issueCreditNote } from "../../billing/credit-notes/issue-credit-note.ts";
import { recordPayment } from "../../billing/payments/record-payment.ts";
import {
  loggedInPortal,
  namedPortalCustomer,
  operatorContext,
  type PortalClient,
  type PortalCustomer,
} from "./testing/portal-fixtures.ts";

// The portal's credit-note list says where each note's money went, in the words of the note's PDF, and filters
// by it: lowered an invoice, refunded or paid back, kept as credit. By what became of the money, not by what
// staff asked for: a "refund" note on an unpaid invoice only lowered what it owed. Until 2026-12-07 the list
// showed neither, and a customer asking where a refund went opened every note.

const file = serverPerFile();
let client: PortalClient;

/** A customer's notes, one per way their money went (the fixture's own note lowered its invoice). */
interface Notes {
  customer: PortalCustomer;
  lowered: string[];
  refunded: string;
  credited: string;
}
let ada: Notes;
let bob: Notes;

/**
 * Besides the fixture's note (on the part-paid invoice: it lowers what that owes): a note asking for a refund
 * on the unpaid invoice (nothing was paid, so it lowers what it owes too), then that invoice and the other one
 * paid in full by bank transfer, then a refund note (paid back by bank transfer) and a credit note on it (no
 * invoice is open, so it stays credit).
 */
async function notesOf(c: PortalCustomer): Promise<Notes> {
  const ctx = operatorContext(file.handle);
  const askedRefund = await issueCreditNote({
    ctx,
    input: {
      invoice_id: c.unpaidInvoiceId,
      amount: 50n,
      reason: "Refund asked, unpaid",
      settlement: "refund",
    },
  });
  for (const [invoice_id, amount, reference] of [
    [c.invoiceId, 3040n, `REST-${c.id}`],
    [c.unpaidInvoiceId, 1184n, `ALL-${c.id}`],
  ] as const)
    await recordPayment({ ctx, input: { invoice_id, amount, method: "bank_transfer", reference } });
  const refunded = await issueCreditNote({
    ctx,
    input: { invoice_id: c.unpaidInvoiceId, amount: 300n, reason: "Paid back", settlement: "refund" },
  });
  const credited = await issueCreditNote({
    ctx,
    input: { invoice_id: c.unpaidInvoiceId, amount: 200n, reason: "Kept", settlement: "credit" },
  });
  return {
    customer: c,
    lowered: [c.creditNoteNumber, askedRefund.number],
    refunded: refunded.number,
    credited: credited.number,
  };
}

beforeAll(async () => {
  ada = await notesOf(await namedPortalCustomer(file.handle, "Ada"));
  bob = await notesOf(await namedPortalCustomer(file.handle, "Bob"));
  client = await loggedInPortal(file.server, ada.customer);
});

const listed = async (path: string) => {
  const answer = await client.get(path);
  return { status: answer.status, text: answer.text };
};

/** The list's rows: each note's number and its Settled cell. */
function rowsOf(html: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const row of html.matchAll(/<tr role="row">([\s\S]*?)<\/tr>/g)) {
    const number = /data-label="Credit note">([^<]*)</.exec(row[1]!)?.[1];
    const settled = /data-label="Settled">([^<]*)</.exec(row[1]!)?.[1];
    if (number !== undefined) rows.set(number, settled ?? "(no Settled cell)");
  }
  return rows;
}

describe("the portal's credit-note list, by where each note's money went", () => {
  it("says it in each row in the words of the note's PDF", async () => {
    const all = await listed("/portal/credit-notes");
    expect(all.status).toBe(200);
    const rows = rowsOf(all.text);
    expect([...rows.keys()].sort()).toEqual([...ada.lowered, ada.refunded, ada.credited].sort());
    expect(rows.get(ada.refunded)).toBe("This amount has been paid back to you by bank transfer.");
    expect(rows.get(ada.credited)).toBe(
      "This amount is kept as credit on your account and pays your next invoices.",
    );
    expect(rows.get(ada.lowered[1]!)).toBe(
      `This amount lowers what is due on invoice ${await numberOf(ada)}.`,
    );
  });

  it("shows exactly the customer's own notes settled the way asked for", async () => {
    const cases = [
      ["refund", [ada.refunded]],
      ["credit", [ada.credited]],
      ["invoice", ada.lowered],
    ] as const;
    for (const [settled, numbers] of cases) {
      const answer = await listed(`/portal/credit-notes?settled=${settled}`);
      expect(answer.status, settled).toBe(200);
      expect([...rowsOf(answer.text).keys()].sort(), settled).toEqual([...numbers].sort());
      expect(answer.text).toMatch(new RegExp(`<option value="${settled}" selected>`));
      // Bob has a note of every kind: none is ever Ada's to see.
      for (const bobs of [...bob.lowered, bob.refunded, bob.credited])
        expect(answer.text).not.toContain(bobs);
    }
    const month = await listed("/portal/credit-notes?settled=refund&month=2020-01");
    expect(month.status).toBe(200);
    expect(month.text).toContain("No credit notes match these filters.");
  });

  it("refuses a way it does not know beside its field with a 400, showing no note", async () => {
    const long = "r".repeat(2_000);
    for (const bad of ["refunded", "REFUND", long]) {
      const answer = await listed(`/portal/credit-notes?settled=${bad}`);
      expect(answer.status, bad.slice(0, 10)).toBe(400);
      expect(answer.text).toMatch(/id="settled-error">must be invoice, refund or credit/i);
      expect(answer.text).toMatch(/<select id="settled"[^>]*aria-invalid="true"/);
      expect(answer.text).toContain(">There is a problem with these filters</h2>");
      expect(rowsOf(answer.text).size).toBe(0);
      expect(answer.text).not.toContain(long.slice(0, 1_001));
    }
  });

  it("sends an old link's ?settlement= (the filter's name until 2026-12-07) to ?settled=, keeping the rest", async () => {
    const old = await client.get("/portal/credit-notes?settlement=refund&page=1");
    expect(old.status).toBe(303);
    expect(old.location).toBe("/portal/credit-notes?page=1&settled=refund");
    const followed = await listed(old.location!);
    expect([...rowsOf(followed.text).keys()]).toEqual([ada.refunded]);
    expect(followed.text).toMatch(/<option value="refund" selected>/);
    expect((await client.get("/portal/credit-notes?month=2020-01&settlement=credit")).location).toBe(
      "/portal/credit-notes?month=2020-01&settled=credit",
    );
    // Given both, the new name's value stands; a bad old value is refused beside the field it now fills.
    expect((await client.get("/portal/credit-notes?settlement=credit&settled=invoice")).location).toBe(
      "/portal/credit-notes?settled=invoice",
    );
    const bad = await client.get("/portal/credit-notes?settlement=cash");
    expect(bad.location).toBe("/portal/credit-notes?settled=cash");
    expect((await listed(bad.location!)).status).toBe(400);
  });

  it("tells every error when the page number, the month and the way are all bad", async () => {
    const answer = await listed("/portal/credit-notes?page=abc&month=2026-13&settled=cash");
    expect(answer.status).toBe(400);
    expect(answer.text).toMatch(/page: must be a whole number from 1 to 1000000/i);
    expect(answer.text).toMatch(/id="month-error">must be a month written YYYY-MM/i);
    expect(answer.text).toMatch(/id="settled-error">must be invoice, refund or credit/i);
    expect(rowsOf(answer.text).size).toBe(0);
  });
});

/** The number of the invoice the customer's "refund asked, unpaid" note lowered. */
async function numberOf(notes: Notes): Promise<string> {
  const row = await file.handle.db
    .selectFrom("invoice")
    .select("number")
    .where("id", "=", notes.customer.unpaidInvoiceId)
    .executeTakeFirstOrThrow();
  return row.number!;
}
