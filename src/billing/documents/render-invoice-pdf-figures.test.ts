import { describe, expect, it } from "vitest";
import type { CurrencyDisplay } from "../../domain/money.ts";
import { october2026Invoice } from "./fixtures/october-2026-invoice.ts";
import type { InvoiceDocument } from "./invoice-document.ts";
import { renderInvoicePdf } from "./render-invoice-pdf.ts";
import { pdfText } from "./testing/pdf-text.ts";

// A figure the PDF breaks in two, or draws over the next row, is misread: every amount, count and unit cost
// must come out of `pdftotext -layout` whole, on one line, and totals rows one under the other.

const IDR: CurrencyDisplay = {
  code: "IDR",
  exponent: 2,
  displayPrefix: "Rp ",
  displaySuffix: "",
  thousandsSeparator: ".",
  decimalsSeparator: ",",
};

/** The October invoice with every figure scaled up: Rp 2.197.800,00 a line, Rp 6.593.400,00 in all. */
const rupiahInvoice: InvoiceDocument = {
  ...october2026Invoice,
  currency: IDR,
  lines: october2026Invoice.lines.map((l) => ({
    ...l,
    hours: 744n,
    tokens: 21_978n,
    unitCost: "100.00",
    amount: 219_780_000n,
  })),
  subtotal: 659_340_000n,
  discounts: [],
  net: 659_340_000n,
  taxes: [],
  total: 659_340_000n,
};

/** A huge invoice whose figures are longer than the default columns: $4,464,000,000,000.74. */
const hugeInvoice: InvoiceDocument = {
  ...october2026Invoice,
  lines: [
    {
      ...october2026Invoice.lines[0]!,
      hours: 744n,
      tokens: 446_400_000_000_000_074n,
      unitCost: "0.001",
      amount: 446_400_000_000_074n,
    },
  ],
  subtotal: 446_400_000_000_074n,
  discounts: [{ name: "Special Client Group Discount", amount: 1n }],
  net: 446_400_000_000_073n,
  taxes: [{ label: "City Tax", rate: "0", base: 446_400_000_000_073n, amount: 1n }],
  total: 446_400_000_000_074n,
  amountDue: 446_400_000_000_000n,
};

/** The text lines holding `figure`, which must be there whole. */
function linesWith(text: string, figure: string): string[] {
  return text.split("\n").filter((line) => line.includes(figure));
}

describe("figures in the invoice PDF", () => {
  it("keeps every rupiah figure whole on one line", async () => {
    const text = await pdfText(await renderInvoicePdf(rupiahInvoice));
    expect(linesWith(text, "Rp 2.197.800,00")).toHaveLength(3);
    expect(linesWith(text, "Rp 100,00")).toHaveLength(3);
    expect(linesWith(text, "21.978")).toHaveLength(3);
    expect(text).toMatch(/Subtotal\s+Rp 6\.593\.400,00/);
    expect(text).toMatch(/Total \(IDR\)\s+Rp 6\.593\.400,00/);
  });

  it("keeps a trillion-dollar subtotal and total whole, each row below the one before", async () => {
    const text = await pdfText(await renderInvoicePdf(hugeInvoice));
    const rows = text.split("\n");
    const at = (pattern: RegExp) => rows.findIndex((r) => pattern.test(r));
    const subtotal = at(/Subtotal\s+\$4,464,000,000,000\.74$/);
    const discount = at(/Special Client Group Discount\s+-\$0\.01$/);
    const total = at(/Total \(USD\)\s+\$4,464,000,000,000\.74$/);
    const settled = at(/Payments and credit\s+-\$0\.74$/);
    const due = at(/Amount due\s+\$4,464,000,000,000\.00$/);
    expect([subtotal, discount, total, settled, due].every((i) => i >= 0)).toBe(true);
    expect(subtotal < discount && discount < total && total < settled && settled < due).toBe(true);
    // The line's amount and tokens are whole too.
    expect(linesWith(text, "$4,464,000,000,000.74").length).toBeGreaterThanOrEqual(3);
    expect(linesWith(text, "446,400,000,000,000,074")).toHaveLength(1);
    // Nothing of a figure is left on a line by itself (".74" drawn over the next rule).
    expect(rows.filter((r) => /^\s*[.,]?\d{1,3}\s*$/.test(r))).toEqual([]);
  });
});
