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
import { columnsOf, drawFooters, drawTable, drawTotals } from "./pdf-table.ts";
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
    y += write(pdf, note, PAGE.margin, y, noteStyle);
  }
  drawFooters(pdf, c.seller, c.title);
  pdf.end();
  return await done;
}

function drawHeader(pdf: Doc, c: SimpleLayout): number {
  let left = PAGE.margin;
  left += write(pdf, c.seller.name, PAGE.margin, left, { width: 210, font: BOLD, size: 15 }) + 4;
  for (const line of c.seller.lines)
    left += write(pdf, line, PAGE.margin, left, { width: 210, color: MUTED });
  const labelX = 270;
  const labelWidth = 90;
  const valueX = labelX + labelWidth + 8;
  let right = PAGE.margin;
  right += write(pdf, c.heading.toUpperCase(), labelX, right, {
    width: RIGHT - labelX,
    font: BOLD,
    size: 20,
    align: "right",
  });
  right += 6;
  for (const fact of c.facts) {
    write(pdf, fact.label, labelX, right, { width: labelWidth, color: MUTED, align: "right" });
    right += write(pdf, fact.value, valueX, right, { width: RIGHT - valueX }) + 1.5;
  }
  return Math.max(left, right);
}

function drawParty(pdf: Doc, c: SimpleLayout, top: number): number {
  let y = top;
  y +=
    write(pdf, c.partyHeading.toUpperCase(), PAGE.margin, y, {
      width: 250,
      font: BOLD,
      size: 8,
      color: MUTED,
    }) + 2;
  y += write(pdf, c.party.name, PAGE.margin, y, { width: 250, font: BOLD, size: 10 }) + 1;
  for (const line of c.party.lines) y += write(pdf, line, PAGE.margin, y, { width: 250 });
  return y;
}

async function drawLines(pdf: Doc, c: SimpleLayout, top: number): Promise<number> {
  const weights = c.columns.reduce((sum, col) => sum + col.weight, 0);
  const columns = columnsOf(
    c.columns.map((col) => (CONTENT_WIDTH * col.weight) / weights),
    (i) => c.columns[i]?.numeric === true,
  );
  const rows = c.rows.length === 0 ? [[c.empty, ...c.columns.slice(1).map(() => "")]] : c.rows;
  return drawTable(
    pdf,
    columns,
    c.columns.map((col) => col.label),
    rows,
    top,
  );
}
