import { describe, expect, it } from "vitest";
import { buildDunningEmail } from "../dunning/dunning-mail.ts";
import { buildCreditNoteEmail } from "./credit-note-mail.ts";
import { creditNoteDocument } from "./fixtures/money-in-documents.ts";
import { october2026Invoice } from "./fixtures/october-2026-invoice.ts";
import { buildInvoiceEmail } from "./invoice-mail.ts";

// Every amount in every mail body names its currency the way the subject does (formatMinorNamed): a
// currency written with neither prefix nor suffix gets its ISO code. Until 2026-12-06 the subjects said
// "10.20 CHF due" and the bodies a bare "10.20". Payments and refunds send no mail of their own
// (fan-out-invoice-event.ts): a paid invoice's mail is the receipt, and a refund is told in the credit
// note's mail.

const CHF = {
  code: "CHF",
  exponent: 2,
  displayPrefix: "",
  displaySuffix: "",
  thousandsSeparator: "'",
  decimalsSeparator: ".",
};
const FROM = "Billing <no-reply@example-hosting.test>";
const seller = { name: "Example Hosting Ltd", email: "billing@example-hosting.test" };
const customer = { name: "Ada Lovelace", email: "ada@example.com" };

/** Every amount written in `text` ("1'234.50", "-0.05"), each with what follows it. */
function amountsIn(text: string): string[] {
  return [...text.matchAll(/-?\d[\d']*\.\d{2}(?:\s*[A-Z]{3})?/g)].map((m) => m[0]);
}

function expectEveryAmountNamed(mail: { text: string; html?: string }, expected: string[]): void {
  expect(amountsIn(mail.text)).toEqual(expected);
  // The HTML body escapes the separator ("1&#39;234.50"); read as a mail client shows it.
  const shown = mail.html?.replace(/&#39;/g, "'").replace(/&amp;/g, "&");
  if (shown !== undefined) expect(amountsIn(shown)).toEqual(expected);
}

const invoice = { ...october2026Invoice, currency: CHF, total: 123450n, amountDue: 23450n };

describe("mail bodies for a currency written without prefix or suffix", () => {
  it("names the currency of the amount an invoice mail asks for", () => {
    const mail = buildInvoiceEmail({ ...invoice, status: "partially_paid" }, Buffer.alloc(0), FROM);
    expect(mail.subject).toContain("234.50 CHF due");
    expectEveryAmountNamed(mail, ["234.50 CHF"]);
  });

  it("names it in the receipt of a paid invoice", () => {
    const mail = buildInvoiceEmail({ ...invoice, status: "paid", amountDue: 0n }, Buffer.alloc(0), FROM);
    expectEveryAmountNamed(mail, ["1'234.50 CHF"]);
  });

  it("names it in a credit note's mail, settled as credit or as a refund", () => {
    for (const settlement of ["credit", "refund"] as const) {
      const mail = buildCreditNoteEmail(
        { ...creditNoteDocument, currency: CHF, settlement },
        Buffer.alloc(0),
        FROM,
      );
      expect(mail.subject).toContain("1.08 CHF on invoice");
      expectEveryAmountNamed(mail, ["1.08 CHF"]);
    }
  });

  it.each(["reminder", "first_overdue", "second_overdue", "final_notice"] as const)(
    "names it on every invoice line and the total of a %s",
    (kind) => {
      const mail = buildDunningEmail({
        kind,
        customer,
        seller,
        from: FROM,
        currency: CHF,
        invoices: [
          { number: "INV-2026-000001", due_date: "2026-11-15", amount_due: 123450n },
          { number: "INV-2026-000002", due_date: "2026-12-15", amount_due: 5n },
        ],
      });
      expect(mail.subject).toContain("1'234.55 CHF due");
      expectEveryAmountNamed(mail, ["1'234.50 CHF", "0.05 CHF", "1'234.55 CHF"]);
    },
  );
});
