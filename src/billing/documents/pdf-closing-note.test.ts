import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { october2026Invoice } from "./fixtures/october-2026-invoice.ts";
import { workedExampleStatement } from "./fixtures/money-in-documents.ts";
import { renderInvoicePdf } from "./render-invoice-pdf.ts";
import { renderStatementPdf } from "./render-statement.ts";

// A document's closing note (the statement's explanation of its signs, the invoice's "Please pay … by …")
// reads as part of its totals. Found by QA on 2026-12-06: a statement whose table ended near the bottom of a
// page kept its totals there and put the two-line note alone on a last page. Each length of table is tried,
// so whichever one puts the page break between the totals and the note is among them.

const HAS_PDFTOTEXT = spawnSync("pdftotext", ["-v"]).error === undefined;

function pages(pdf: Buffer): string[] {
  const run = spawnSync("pdftotext", ["-layout", "-enc", "UTF-8", "-", "-"], {
    input: pdf,
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`pdftotext failed: ${run.stderr}`);
  return run.stdout.split("\f").filter((page) => page.trim() !== "");
}

/** The page that holds `note` (its first words), which must also hold `totals`. */
function expectNoteBeside(text: string[], note: RegExp, totals: RegExp): void {
  const page = text.find((p) => note.test(p));
  expect(page, "the closing note is printed").toBeDefined();
  expect(page).toMatch(totals);
}

describe.skipIf(!HAS_PDFTOTEXT)("a PDF's closing note stays on the page of its totals", () => {
  it("statements of 24 to 34 entries", async () => {
    const entry = workedExampleStatement.entries[0]!;
    let pageBreaks = 0;
    for (let n = 24; n <= 34; n++) {
      const entries = Array.from({ length: n }, (_, i) => ({ ...entry, reference: `INV-${i}` }));
      const text = pages(await renderStatementPdf({ ...workedExampleStatement, entries }));
      if (text.length > 1) pageBreaks++;
      expectNoteBeside(text, /Amounts add to what you owe/, /Balance due/);
    }
    // The range crosses the first page's end, so the lengths around the break were tried.
    expect(pageBreaks).toBeGreaterThan(0);
    expect(pageBreaks).toBeLessThan(11);
  });

  it("invoices of 17 to 27 lines", async () => {
    const line = october2026Invoice.lines[0]!;
    let pageBreaks = 0;
    for (let n = 17; n <= 27; n++) {
      const lines = Array.from({ length: n }, (_, i) => ({ ...line, description: `web-${i} (server ${i})` }));
      const text = pages(await renderInvoicePdf({ ...october2026Invoice, lines }));
      if (text.length > 1) pageBreaks++;
      expectNoteBeside(text, /Please pay/, /Total \(USD\)/);
    }
    expect(pageBreaks).toBeGreaterThan(0);
    expect(pageBreaks).toBeLessThan(11);
  });
});
