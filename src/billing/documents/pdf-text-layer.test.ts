import { describe, expect, it } from "vitest";
import { october2026Invoice } from "./fixtures/october-2026-invoice.ts";
import { workedExampleStatement } from "./fixtures/money-in-documents.ts";
import type { InvoiceDocument } from "./invoice-document.ts";
import { renderInvoicePdf } from "./render-invoice-pdf.ts";
import { renderStatementPdf } from "./render-statement.ts";
import type { StatementDocument } from "./statement-document.ts";
import { pdfText } from "./testing/pdf-text.ts";

// A PDF's text layer (what search, copy and screen readers get) is each document's own. Until 2026-12-07
// every document shared one parsed DejaVu per process, with fontkit's cache of glyphs: a glyph keeps the
// characters of the text that first asked for it, and pdfkit writes those into the document's ToUnicode
// map. Embedding "Ő" asks for the "O" it is built from with no character at all, so every later PDF of the
// process read "O" back as nothing: "ABCDEFGHIJKLMN PQRSTUVWXYZ".

/** Every letter and digit, in pieces short enough for a table cell's one line. */
const PROBES = ["ABCDEFGHIJKLM", "NOPQRSTUVWXYZ", "abcdefghijklm", "nopqrstuvwxyz", "0123456789"];

// Accented letters DejaVu draws from the plain letter and a mark, in the regular cut (the invoice's lines)
// and the bold one (its customer's name).
const ACCENTED = ["Őrség Ōsaka Ŭlo", "Àçèñ Ìòùý Ĝĥĵķ", "ÁĆÉÍŃÓŚÚÝŹ", "ǍČĎĚǏŇŘŠŤŽ"];

const accented: InvoiceDocument = {
  ...october2026Invoice,
  customer: { ...october2026Invoice.customer, name: ACCENTED.join(" ") },
  lines: ACCENTED.map((description) => ({ ...october2026Invoice.lines[0]!, description })),
};

const probe: StatementDocument = {
  ...workedExampleStatement,
  customer: { ...workedExampleStatement.customer, name: PROBES.join(" ") },
  entries: PROBES.map((reference, i) => ({
    ...workedExampleStatement.entries[0]!,
    reference: `${reference} ${i}`,
  })),
};

describe("a PDF's text layer", () => {
  it("reads back every letter whatever documents the process drew before", async () => {
    const first = await pdfText(await renderInvoicePdf(accented));
    for (const text of ACCENTED) expect(first).toContain(text);
    const next = await pdfText(await renderStatementPdf(probe));
    // The customer's name (bold, wrapped where it must be) and the references (regular): every letter in
    // both cuts.
    expect(next.replace(/\s+/g, " ")).toContain(` ${PROBES.join(" ")} `);
    for (const [i, text] of PROBES.entries()) expect(next).toContain(`${text} ${i}`);
  });
});
