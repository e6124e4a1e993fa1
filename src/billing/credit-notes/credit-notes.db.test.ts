import { describe, expect, it } from "vitest";
import { databasePerFile } from "../../../test/helpers/database-per-file.ts";
import { getInvoice } from "../invoices/get-invoice.ts";
import { voidInvoice } from "../invoices/void-invoice.ts";
import { customerCredit, invoiceAmountDue } from "../ledger/ledger.ts";
import { recordPayment } from "../payments/record-payment.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { getCreditNote, listCreditNotes } from "./get-credit-note.ts";
import { issueCreditNote } from "./issue-credit-note.ts";

// Credit notes (billing-rules §7): their own gapless series, taxes by §4 on the net, never more than what
// is left of the invoice; on an unpaid invoice they lower the amount due, on a paid one they become credit
// or a refund.

const file = databasePerFile();

const ctx = () => billingContext(file.handle, {}, new Date("2026-11-20T10:00:00Z"));
let n = 0;
async function customer(): Promise<bigint> {
  const [id] = await createCustomers(file.handle, [{ email: `cn${n++}@example.com` }]);
  return id!;
}
const due = (id: string) => invoiceAmountDue(file.handle.db, id);
// The §4 example's invoice: net $9.43, compound City Tax 6 % ($0.57) then State Tax 2 % ($0.20): $10.20.
const section4 = (customerId: bigint) => ({
  customerId,
  total: 1020n,
  taxCompound: true,
  taxes: [
    { label: "City Tax", rate: "6", amount: 57n },
    { label: "State Tax", rate: "2", amount: 20n },
  ],
  lines: [490n, 500n, 3n],
});

describe("credit notes", () => {
  it("are taxed by §4 on their net with the invoice's rates and lower an unpaid invoice's amount due", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [section4(c)]);
    const note = await issueCreditNote({
      ctx: ctx(),
      input: { invoice_id: inv!, amount: 100n, reason: "outage" },
    });
    // $1.00 net: City 6 % = $0.06, State 2 % of $1.06 = $0.0212 → $0.02; total $1.08.
    expect(note).toMatchObject({
      number: "CN-2026-000001",
      net: 100n,
      taxes: [
        { label: "City Tax", amount: 6n },
        { label: "State Tax", amount: 2n },
      ],
      tax_total: 8n,
      total: 108n,
      settlement: "credit",
    });
    expect(await due(inv!)).toBe(1020n - 108n);
    expect((await getInvoice({ ctx: ctx(), input: { id: inv! } })).status).toBe("finalized");
    expect((await getCreditNote({ ctx: ctx(), input: { id: note.id } })).id).toBe(note.id);
  });

  it("number gaplessly in their own series, apart from invoices", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [{ customerId: c, total: 5000n }]);
    const notes = await Promise.all(
      [1, 2, 3].map((i) =>
        issueCreditNote({ ctx: ctx(), input: { invoice_id: inv!, amount: 100n, reason: `r${i}` } }),
      ),
    );
    const numbers = notes.map((x) => x.number).sort();
    expect(numbers).toEqual(["CN-2026-000002", "CN-2026-000003", "CN-2026-000004"]);
    const listed = await listCreditNotes({ ctx: ctx(), input: { invoice_id: inv! } });
    expect(listed.data.map((x) => x.number)).toEqual(numbers);
  });

  it("never exceed what is left of the invoice (total − earlier credit notes): refused naming amount, nothing written", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [section4(c)]);
    await issueCreditNote({ ctx: ctx(), input: { invoice_id: inv!, amount: 900n, reason: "most" } });
    // 900 net → 54 + 19 = 973 total; 47 left. 44 net → 3 + 1 = 48 > 47.
    const before = await file.handle.db.selectFrom("credit_note").select("id").execute();
    await expect(
      issueCreditNote({ ctx: ctx(), input: { invoice_id: inv!, amount: 44n, reason: "too much" } }),
    ).rejects.toMatchObject({ code: "VALIDATION", issues: [{ field: "amount" }] });
    expect(await file.handle.db.selectFrom("credit_note").select("id").execute()).toHaveLength(before.length);
    const last = await issueCreditNote({
      ctx: ctx(),
      input: { invoice_id: inv!, amount: 43n, reason: "rest" },
    });
    // 43 net → 3 + 1 = 47: exactly what was left; nothing is due, so the invoice counts as paid.
    expect(last.total).toBe(47n);
    expect(await due(inv!)).toBe(0n);
    expect((await getInvoice({ ctx: ctx(), input: { id: inv! } })).status).toBe("paid");
  });

  it("never credit more of a tax than the invoice charged, however many small notes round it up", async () => {
    const c = await customer();
    // Net 455, VAT 19 % = 86.45 → 86, total 541 (the numbers a review found 92 of VAT credited on).
    const [inv] = await issueInvoices(file.handle.db, [
      { customerId: c, total: 541n, taxes: [{ label: "VAT", rate: "19", amount: 86n }], lines: [455n] },
    ]);
    const issue = (amount: bigint) =>
      issueCreditNote({ ctx: ctx(), input: { invoice_id: inv!, amount, reason: "small" } });
    // 3 net → 0.57 → 1 of VAT; 100 net → 19. Each rounds up a little more than its share.
    await issue(3n);
    for (let i = 0; i < 4; i++) await issue(100n);
    const taxes: bigint[] = [];
    for (;;) {
      const note = await issue(3n).catch(() => undefined);
      if (!note) break;
      taxes.push(note.tax_total);
    }
    const notes = await file.handle.db
      .selectFrom("credit_note")
      .select(["net", "tax_total", "total"])
      .where("invoice_id", "=", inv!)
      .execute();
    const sum = (pick: (n: (typeof notes)[number]) => bigint) => notes.reduce((s, n) => s + pick(n), 0n);
    // Nine more notes of 3 take VAT to 86; after that a note credits its net only, until the total is reached.
    expect(taxes.slice(0, 9)).toEqual(Array(9).fill(1n));
    expect(taxes.slice(9).every((t) => t === 0n)).toBe(true);
    expect([sum((n) => n.tax_total), sum((n) => n.total)]).toEqual([86n, 540n]);
    expect(sum((n) => n.net)).toBeLessThanOrEqual(455n);
  });

  it("given as lines, credit at most each line's amount", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [section4(c)]);
    await expect(
      issueCreditNote({
        ctx: ctx(),
        input: { invoice_id: inv!, lines: [{ position: 1, amount: 501n }], reason: "x" },
      }),
    ).rejects.toMatchObject({ issues: [{ field: "lines.0.amount" }] });
    await expect(
      issueCreditNote({
        ctx: ctx(),
        input: { invoice_id: inv!, lines: [{ position: 7, amount: 1n }], reason: "x" },
      }),
    ).rejects.toMatchObject({ issues: [{ field: "lines.0.position" }] });
    const note = await issueCreditNote({
      ctx: ctx(),
      input: {
        invoice_id: inv!,
        lines: [
          { position: 2, amount: 3n },
          { position: 0, amount: 490n },
        ],
        reason: "server 1 and the short one",
      },
    });
    expect([note.net, note.lines]).toEqual([
      493n,
      [
        { position: 0, amount: 490n },
        { position: 2, amount: 3n },
      ],
    ]);
  });

  it("given as lines, credit a line at most what earlier notes left of it", async () => {
    // Until 2026-12-05 each note was held to the line's whole amount: two notes of 400 on a line of 500 were
    // both taken (the invoice's total had room), crediting the line 800.
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [{ customerId: c, total: 1000n, lines: [500n, 500n] }]);
    const line0 = (amount: bigint) =>
      issueCreditNote({
        ctx: ctx(),
        input: { invoice_id: inv!, lines: [{ position: 0, amount }], reason: "line 0" },
      });
    await line0(400n);
    await expect(line0(400n)).rejects.toMatchObject({
      code: "VALIDATION",
      issues: [
        {
          field: "lines.0.amount",
          message:
            "must not exceed what is left of the line: 100 (its amount 500 less 400 credited against it by earlier credit notes)",
        },
      ],
    });
    // A note given as an amount names no line: it counts against the total only.
    await issueCreditNote({ ctx: ctx(), input: { invoice_id: inv!, amount: 50n, reason: "goodwill" } });
    await line0(100n);
    const notes = await file.handle.db
      .selectFrom("credit_note")
      .select(["net", "lines"])
      .where("invoice_id", "=", inv!)
      .orderBy("number")
      .execute();
    expect(notes.map((n) => n.net)).toEqual([400n, 50n, 100n]);
    expect(await due(inv!)).toBe(450n);
  });

  it("on a paid invoice become credit, or a refund of its payments when asked", async () => {
    const c = await customer();
    const [a, b] = await issueInvoices(file.handle.db, [
      { customerId: c, total: 1000n },
      { customerId: c, total: 1000n },
    ]);
    await recordPayment({ ctx: ctx(), input: { invoice_id: a!, amount: 1000n, reference: `cnp-a-${n}` } });
    await issueCreditNote({ ctx: ctx(), input: { invoice_id: a!, amount: 250n, reason: "goodwill" } });
    // The 250 of credit pays the open invoice b at once rather than waiting beside it (until 2026-12-06 it
    // stayed credit while b owed 1000).
    expect([await due(a!), await due(b!), await customerCredit(file.handle.db, c, "USD")]).toEqual([
      0n,
      750n,
      0n,
    ]);

    const { payment } = await recordPayment({
      ctx: ctx(),
      input: { invoice_id: b!, amount: 600n, reference: `cnp-b-${n}` },
    });
    // Due 150: a 700 credit note lowers it to 0 and refunds the other 550 to the payment.
    await issueCreditNote({
      ctx: ctx(),
      input: { invoice_id: b!, amount: 700n, reason: "refund", settlement: "refund" },
    });
    const refunds = await file.handle.db
      .selectFrom("refund")
      .selectAll()
      .where("payment_id", "=", payment.id)
      .execute();
    expect(refunds.map((r) => [r.amount, r.status])).toEqual([[550n, "succeeded"]]);
    expect([await due(b!), await customerCredit(file.handle.db, c, "USD")]).toEqual([0n, 0n]);
    expect((await getInvoice({ ctx: ctx(), input: { id: b! } })).status).toBe("paid");
  });

  it("are refused on drafts, void and unknown invoices, and make an invoice unvoidable", async () => {
    const c = await customer();
    const [inv, other] = await issueInvoices(file.handle.db, [
      { customerId: c, total: 1000n },
      { customerId: c, total: 1000n },
    ]);
    await issueCreditNote({ ctx: ctx(), input: { invoice_id: inv!, amount: 10n, reason: "x" } });
    await expect(voidInvoice({ ctx: ctx(), input: { id: inv!, reason: "x" } })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await voidInvoice({ ctx: ctx(), input: { id: other!, reason: "x" } });
    await expect(
      issueCreditNote({ ctx: ctx(), input: { invoice_id: other!, amount: 10n, reason: "x" } }),
    ).rejects.toMatchObject({ code: "CONFLICT", issues: [{ field: "invoice_id" }] });
    await expect(
      issueCreditNote({ ctx: ctx(), input: { invoice_id: "inv_00ab", amount: 10n, reason: "x" } }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", issues: [{ field: "invoice_id" }] });
    await expect(
      issueCreditNote({ ctx: ctx(), input: { invoice_id: inv!, amount: 10n, lines: [], reason: "x" } }),
    ).rejects.toMatchObject({ code: "VALIDATION" });
  });
});
