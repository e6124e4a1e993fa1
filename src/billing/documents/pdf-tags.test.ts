import { describe, expect, it } from "vitest";
import { october2026Invoice } from "./fixtures/october-2026-invoice.ts";
import { creditNoteDocument, workedExampleStatement } from "./fixtures/money-in-documents.ts";
import { LINE_COLUMNS } from "./invoice-content.ts";
import { renderCreditNotePdf } from "./render-credit-note.ts";
import { renderInvoicePdf } from "./render-invoice-pdf.ts";
import { renderStatementPdf } from "./render-statement.ts";
import {
  allNodes,
  HAS_PDFINFO,
  objectsText,
  type StructNode,
  structureOf,
  taggedField,
  textOf,
} from "./testing/pdf-structure.ts";

// Tagged PDFs (pdf-tags.ts): a screen reader reads the structure tree, not the page. poppler's pdfinfo
// reads the tree back as a reader would walk it (Debian: apt-get install poppler-utils).

const SKIP_REASON = HAS_PDFINFO ? "" : " [skipped: pdfinfo missing, install poppler-utils]";

/** The rows of a Table element, each the list of its cells as [type, text]. */
function rowsOf(table: StructNode): [string, string][][] {
  return table.children
    .filter((tr) => tr.type === "TR")
    .map((tr) => tr.children.map((cell) => [cell.type, textOf(cell)] as [string, string]));
}

/** The Table element whose first row is headed by `heading`. */
function tableHeadedBy(tree: StructNode[], heading: string): StructNode {
  const table = allNodes(tree).find((n) => n.type === "Table" && rowsOf(n)[0]?.[0]?.[1] === heading);
  if (table === undefined) throw new Error(`no table headed "${heading}"`);
  return table;
}

describe.skipIf(!HAS_PDFINFO)(`tagged PDFs${SKIP_REASON}`, () => {
  it("tags the invoice: its title, headings, facts, line table, totals and closing note", async () => {
    const pdf = await renderInvoicePdf(october2026Invoice);
    expect(taggedField(pdf)).toBe("yes");
    const latin = objectsText(pdf);
    expect(latin).toMatch(/\/Lang \(en\)/);
    expect(latin).toMatch(/\/DisplayDocTitle true/);

    const tree = structureOf(pdf);
    expect(tree.map((n) => n.type)).toEqual(["Document"]);
    const top = tree[0]!.children;
    expect(top.filter((n) => n.type === "H1").map(textOf)).toEqual(["INVOICE"]);
    expect(top.filter((n) => n.type === "H2").map(textOf)).toEqual(["BILL TO"]);
    expect(top.filter((n) => n.type === "P").map(textOf)).toContain("Acme Web Studio");

    const lines = rowsOf(tableHeadedBy(tree, "Description"));
    expect(lines[0]).toEqual(LINE_COLUMNS.map((c) => ["TH", c.label]));
    expect(lines[1]).toEqual(
      ["web-1 (server 101)", "1 Core, 1 GB RAM", "700", "Hourly", "4,900", "$0.001", "$4.90"].map((t) => [
        "TD",
        t,
      ]),
    );
    expect(lines).toHaveLength(1 + october2026Invoice.lines.length);

    // A fact and a total are read with their label, which heads the row.
    expect(rowsOf(tableHeadedBy(tree, "Invoice number"))).toContainEqual([
      ["TH", "Due date"],
      ["TD", "2026-11-15"],
    ]);
    expect(rowsOf(tableHeadedBy(tree, "Subtotal"))).toContainEqual([
      ["TH", "Total (USD)"],
      ["TD", "$10.20"],
    ]);
    expect(top.at(-1)).toMatchObject({ type: "P" });
    expect(textOf(top.at(-1)!)).toMatch(/^Please pay \$10\.20 by 2026-11-15/);
  });

  it("reads the footer and a continued page's repeated headings as artifacts, not twice", async () => {
    const entry = workedExampleStatement.entries[0]!;
    const entries = Array.from({ length: 90 }, (_, i) => ({ ...entry, reference: `INV-${i}` }));
    const pdf = await renderStatementPdf({ ...workedExampleStatement, entries });
    expect(taggedField(pdf)).toBe("yes");
    const tree = structureOf(pdf);
    const rows = rowsOf(tableHeadedBy(tree, "Date"));
    // One heading row for a table over several pages, then one row per entry.
    expect(rows.filter((row) => row.every(([type]) => type === "TH"))).toHaveLength(1);
    expect(rows).toHaveLength(1 + entries.length);
    expect(rows.at(-1)?.map(([, text]) => text)).toContain("INV-89");
    const everything = allNodes(tree).map(textOf).join("\n");
    expect(everything).not.toMatch(/Page \d+ of \d+/);
  });

  it("tags the statement's and the credit note's headings", async () => {
    for (const [pdf, heading, party] of [
      [await renderStatementPdf(workedExampleStatement), "STATEMENT", "STATEMENT FOR"],
      [await renderCreditNotePdf(creditNoteDocument), "CREDIT NOTE", undefined],
    ] as const) {
      expect(taggedField(pdf)).toBe("yes");
      const top = structureOf(pdf)[0]!.children;
      expect(top.filter((n) => n.type === "H1").map(textOf)).toEqual([heading]);
      if (party !== undefined) expect(top.filter((n) => n.type === "H2").map(textOf)).toEqual([party]);
    }
  });
});

describe("a tagged PDF's size", () => {
  it("keeps a statement of 1,000 entries under 200 KB: its structure tree is packed in object streams", async () => {
    // Each table cell is an element of the structure tree; written as plain objects they made this statement
    // 684 KB (79 KB untagged). Packed into deflated object streams (pdf-object-streams.ts) it is about 170 KB.
    const entry = workedExampleStatement.entries[0]!;
    const entries = Array.from({ length: 1000 }, (_, i) => ({ ...entry, reference: `INV-${i}` }));
    const pdf = await renderStatementPdf({ ...workedExampleStatement, entries });
    expect(pdf.length).toBeLessThan(200_000);
    expect(pdf.subarray(0, 9).toString("latin1")).toBe("%PDF-1.5\n");
    if (HAS_PDFINFO) expect(taggedField(pdf)).toBe("yes");
  });
});
