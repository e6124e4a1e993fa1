import {
  BOLD,
  collect,
  CONTENT_WIDTH,
  type Doc,
  ensureSpace,
  newPdf,
  measure,
  MUTED,
  PAGE,
  RIGHT,
  write,
} from "./pdf-page.ts";
import { pdfFonts } from "./pdf-fonts.ts";
import { drawFooters, drawTable, drawTotals, fittedColumns } from "./pdf-table.ts";
import { block, group, labelledRow, rootOf } from "./pdf-tags.ts";
import type { SimpleLayout } from "./simple-layout.ts";

// The PDF of a credit note or statement, drawn like the invoice PDF (render-invoice-pdf.ts): A4, the
// embedded typeface of pdf-page.ts (every string passes through toPrintable), reproducible bytes
// (CreationDate comes from the document). A long table continues on new pages with its headings repeated.

export async function renderSimplePdf(c: SimpleLayout, fonts = pdfFonts()): Promise<Buffer> {
  const pdf = newPdf(
    { title: c.title, author: c.seller.name, subject: c.subject, createdAt: c.createdAt },
    fonts,
  );
  const done = collect(pdf);
  let y = drawHeader(pdf, c);
  y = drawParty(pdf, c, y + 24);
  y = await drawLines(pdf, c, y + 20);
  const noteStyle = { width: CONTENT_WIDTH, size: 9.5 };
  const notesHeight = c.notes.reduce((sum, note) => sum + 8 + measure(pdf, note, noteStyle), 0);
  y = drawTotals(pdf, c.totals, y + 12, notesHeight);
  for (const note of c.notes) {
    y = ensureSpace(pdf, y + 8, measure(pdf, note, noteStyle));
    y += block(pdf, "P", () => write(pdf, note, PAGE.margin, y, noteStyle));
  }
  drawFooters(pdf, c.seller, c.title);
  pdf.end();
  return await done;
}

function drawHeader(pdf: Doc, c: SimpleLayout): number {
  const labelX = 270;
  const labelWidth = 90;
  const valueX = labelX + labelWidth + 8;
  // Read in the order a reader looks: the document's heading first, then who sent it, then its facts.
  let right = PAGE.margin;
  right += block(pdf, "H1", () =>
    write(pdf, c.heading.toUpperCase(), labelX, right, {
      width: RIGHT - labelX,
      font: BOLD,
      size: 20,
      align: "right",
    }),
  );
  let left = PAGE.margin;
  left += block(pdf, "P", () =>
    write(pdf, c.seller.name, PAGE.margin, left, { width: 210, font: BOLD, size: 15 }),
  );
  left += 4;
  for (const line of c.seller.lines)
    left += block(pdf, "P", () => write(pdf, line, PAGE.margin, left, { width: 210, color: MUTED }));
  right += 6;
  // The facts are a table of two columns, each row headed by its label.
  const facts = group(pdf, rootOf(pdf), "Table");
  for (const fact of c.facts) {
    const top = right;
    const drawn = labelledRow(
      pdf,
      facts,
      () => write(pdf, fact.label, labelX, top, { width: labelWidth, color: MUTED, align: "right" }),
      () => write(pdf, fact.value, valueX, top, { width: RIGHT - valueX }),
    );
    right += drawn.value + 1.5;
  }
  facts.end();
  return Math.max(left, right);
}

function drawParty(pdf: Doc, c: SimpleLayout, top: number): number {
  let y = top;
  y +=
    block(pdf, "H2", () =>
      write(pdf, c.partyHeading.toUpperCase(), PAGE.margin, y, {
        width: 250,
        font: BOLD,
        size: 8,
        color: MUTED,
      }),
    ) + 2;
  y +=
    block(pdf, "P", () => write(pdf, c.party.name, PAGE.margin, y, { width: 250, font: BOLD, size: 10 })) + 1;
  for (const line of c.party.lines)
    y += block(pdf, "P", () => write(pdf, line, PAGE.margin, y, { width: 250 }));
  return y;
}

async function drawLines(pdf: Doc, c: SimpleLayout, top: number): Promise<number> {
  const headings = c.columns.map((col) => col.label);
  const rows = c.rows.length === 0 ? [[c.empty, ...c.columns.slice(1).map(() => "")]] : c.rows;
  return drawTable(pdf, await fittedColumns(pdf, c.columns, headings, rows), headings, rows, top);
}
