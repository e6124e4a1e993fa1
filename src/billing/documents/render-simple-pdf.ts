import {
  BOLD,
  collect,
  CONTENT_WIDTH,
  type Doc,
  ensureSpace,
  newPdf,
  FONT,
  INK,
  measure,
  MUTED,
  PAD,
  PAGE,
  RIGHT,
  TABLE_SIZE,
  RULE,
  type TextStyle,
  write,
} from "./pdf-page.ts";
import { pdfFonts } from "./pdf-fonts.ts";
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
  y = drawTable(pdf, c, y + 20);
  y = drawTotals(pdf, c, y + 12);
  for (const note of c.notes) {
    const style = { width: CONTENT_WIDTH, size: 9.5 };
    y = ensureSpace(pdf, y + 8, measure(pdf, note, style));
    y += write(pdf, note, PAGE.margin, y, style);
  }
  drawFooters(pdf, c);
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

function columnWidths(c: SimpleLayout): number[] {
  const total = c.columns.reduce((s, col) => s + col.weight, 0);
  return c.columns.map((col) => (CONTENT_WIDTH * col.weight) / total);
}

function drawRow(pdf: Doc, c: SimpleLayout, cells: string[], y: number, header: boolean): number {
  const widths = columnWidths(c);
  const style = (i: number): TextStyle => ({
    width: (widths[i] ?? 0) - 2 * PAD,
    size: TABLE_SIZE,
    font: header ? BOLD : FONT,
    color: header ? MUTED : INK,
    align: c.columns[i]?.numeric === true ? "right" : "left",
  });
  const height = Math.max(...cells.map((text, i) => measure(pdf, text, style(i)))) + 2 * PAD;
  let x = PAGE.margin;
  cells.forEach((text, i) => {
    write(pdf, text, x + PAD, y + PAD, style(i));
    x += widths[i] ?? 0;
  });
  const ruleY = y + height;
  pdf
    .moveTo(PAGE.margin, ruleY)
    .lineTo(RIGHT, ruleY)
    .lineWidth(header ? 1.2 : 0.5)
    .strokeColor(header ? INK : RULE)
    .stroke();
  return ruleY;
}

function drawTable(pdf: Doc, c: SimpleLayout, top: number): number {
  const header = c.columns.map((col) => col.label);
  let y = drawRow(pdf, c, header, top, true);
  const rows = c.rows.length === 0 ? [[c.empty, ...c.columns.slice(1).map(() => "")]] : c.rows;
  const widths = columnWidths(c);
  for (const row of rows) {
    const height = Math.max(
      ...row.map((t, i) => measure(pdf, t, { width: (widths[i] ?? 0) - 2 * PAD, size: TABLE_SIZE })),
    );
    const next = ensureSpace(pdf, y, height + 2 * PAD);
    if (next !== y) y = drawRow(pdf, c, header, next, true);
    y = drawRow(pdf, c, row, y, false);
  }
  return y;
}

function drawTotals(pdf: Doc, c: SimpleLayout, top: number): number {
  const width = 260;
  const valueWidth = 100;
  const x = RIGHT - width;
  let y = ensureSpace(pdf, top, c.totals.length * 16);
  for (const row of c.totals) {
    if (row.strong) {
      pdf.moveTo(x, y).lineTo(RIGHT, y).lineWidth(1.2).strokeColor(INK).stroke();
      y += 4;
    }
    const style = { font: row.strong ? BOLD : FONT, size: 9.5 };
    const h = write(pdf, row.label, x + PAD, y, { ...style, width: width - valueWidth - 2 * PAD });
    write(pdf, row.value, RIGHT - valueWidth, y, { ...style, width: valueWidth - PAD, align: "right" });
    y += h + 4;
  }
  return y;
}

function drawFooters(pdf: Doc, c: SimpleLayout): void {
  const range = pdf.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    pdf.switchToPage(i);
    // Text below the bottom margin would make pdfkit open a new page; the footer lives in that margin.
    const margin = pdf.page.margins.bottom;
    pdf.page.margins.bottom = 0;
    const text = `${c.seller.name} · ${c.title} · Questions: ${c.seller.email} · Page ${i + 1} of ${range.count}`;
    write(pdf, text, PAGE.margin, PAGE.height - PAGE.margin + 10, {
      width: CONTENT_WIDTH,
      size: 8,
      color: MUTED,
      align: "right",
    });
    pdf.page.margins.bottom = margin;
  }
}
