import { describe, expect, it } from "vitest";
import { databasePerFile } from "../../../test/helpers/database-per-file.ts";
import { getInvoice } from "../invoices/get-invoice.ts";
import { invoiceAmountDue } from "../ledger/ledger.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { issueCreditNote } from "./issue-credit-note.ts";

// A credit note that credits the rest of an invoice's net credits the rest of each of its taxes: the notes
// of one invoice, each rounding its own tax, must not leave tax owed once the whole net is credited (a
// customer dunned for a cent of VAT on an invoice credited in full).

const file = databasePerFile();
const ctx = () => billingContext(file.handle, {}, new Date("2026-11-20T10:00:00Z"));
let n = 0;
async function customer(): Promise<bigint> {
  const [id] = await createCustomers(file.handle, [{ email: `taxrest${n++}@example.com` }]);
  return id!;
}

describe("credit notes crediting the rest of an invoice's net", () => {
  it("credit the rest of its tax: three servers credited one note a line leave nothing due", async () => {
    const c = await customer();
    // Lines 4 + 4 + 2 = 10 net, VAT 10 % = 1, total 11. Each line's note rounds its VAT down to 0.
    const [inv] = await issueInvoices(file.handle.db, [
      { customerId: c, total: 11n, taxes: [{ label: "VAT", rate: "10", amount: 1n }], lines: [4n, 4n, 2n] },
    ]);
    const notes = [];
    for (const position of [0, 1, 2]) {
      const amount = [4n, 4n, 2n][position]!;
      notes.push(
        await issueCreditNote({
          ctx: ctx(),
          input: { invoice_id: inv!, lines: [{ position, amount }], reason: `server ${position} refunded` },
        }),
      );
    }
    expect(notes.map((x) => x.tax_total)).toEqual([0n, 0n, 1n]);
    expect(notes.reduce((s, x) => s + x.total, 0n)).toBe(11n);
    expect(await invoiceAmountDue(file.handle.db, inv!)).toBe(0n);
    expect((await getInvoice({ ctx: ctx(), input: { id: inv! } })).status).toBe("paid");
  });

  it("credit a per-line-rounded invoice whole in one note of its net", async () => {
    const c = await customer();
    // TAX_ROUNDING=per_line: lines 5 + 5 + 5, VAT 10 % = 0.5 → 1 on each, 3 in all; total 18. Rounded once
    // on the net 15 the VAT is 1.5 → 2, which left 1 due.
    const [inv] = await issueInvoices(file.handle.db, [
      { customerId: c, total: 18n, taxes: [{ label: "VAT", rate: "10", amount: 3n }], lines: [5n, 5n, 5n] },
    ]);
    const note = await issueCreditNote({
      ctx: ctx(),
      input: { invoice_id: inv!, amount: 15n, reason: "cancelled" },
    });
    expect([note.net, note.tax_total, note.total]).toEqual([15n, 3n, 18n]);
    expect(await invoiceAmountDue(file.handle.db, inv!)).toBe(0n);
  });

  it("still round a note short of the rest on its own net", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [
      { customerId: c, total: 11n, taxes: [{ label: "VAT", rate: "10", amount: 1n }], lines: [10n] },
    ]);
    const note = await issueCreditNote({
      ctx: ctx(),
      input: { invoice_id: inv!, amount: 9n, reason: "most" },
    });
    // 0.9 → 1 of VAT, the invoice's whole VAT: the last cent of net is credited without tax.
    expect([note.tax_total, note.total]).toEqual([1n, 10n]);
    expect(await invoiceAmountDue(file.handle.db, inv!)).toBe(1n);
  });
});
