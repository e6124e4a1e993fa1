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
  onOneLine,
  PAD,
  PAGE,
  RIGHT,
  TABLE_SIZE,
  RULE,
  type TextStyle,
  textWidth,
  write,
} from "./pdf-page.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { describeInvoice, type InvoiceContent } from "./invoice-content.ts";
import type { InvoiceDocument } from "./invoice-document.ts";
import { pdfFonts } from "./pdf-fonts.ts";
import { printableCurrency } from "./pdf-text.ts";

// The same content as the HTML page (both lay out describeInvoice), drawn in the embedded typeface of
// pdf-page.ts. Reproducible: CreationDate comes from the issue date, and the file ID pdfkit derives from the
// metadata therefore does too.

const ALERT = "#a40e26";
// Sums to CONTENT_WIDTH. At TABLE_SIZE, less 2 × PAD, one line holds Description "web-1 (server 201) ·
// Additional IPs ×2", Plan "2 Cores, 2 GB RAM", Charge "Backup share", Tokens "1,234,567", Unit cost
// "INR 0.001", Amount "INR 1,234.56"; longer text wraps within its cell.
const COLUMN_WIDTHS = [158, 86, 33, 61, 47, 50, 60.28];

/** `fonts`: DejaVu and the configured fallback fonts (pdfFonts(config.PDF_FALLBACK_FONTS)). */
export async function renderInvoicePdf(doc: InvoiceDocument, fonts = pdfFonts()): Promise<Buffer> {
  const content = describeInvoice(doc, printableCurrency(doc.currency, fonts));
  const pdf = newPdf(
    {
      title: content.title,
      author: doc.seller.name,
      subject: `Invoice for ${doc.customer.name}, period ${doc.period}`,
      createdAt: issueInstant(doc.issueDate),
    },
    fonts,
  );
  const done = collect(pdf);
  let y = drawHeader(pdf, content);
  y = drawBillTo(pdf, content, y + 24);
  y = drawLines(pdf, content, y + 20);
  if (content.lineNote !== null) y = drawLineNote(pdf, content.lineNote, y + 4);
  y = drawTotals(pdf, content, y + 12);
  y = ensureSpace(pdf, y + 18, 30);
  write(pdf, content.note, PAGE.margin, y, { width: CONTENT_WIDTH, font: BOLD, size: 10 });
  drawFooters(pdf, doc, content);
  pdf.end();
  return await done;
}

function issueInstant(issueDate: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(issueDate) ? new Date(`${issueDate}T00:00:00Z`) : null;
  // Date rolls "2026-02-31" over to March; only a date that reads back unchanged is real.
  if (date === null || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== issueDate) {
    throw ServiceError.validation("issueDate", `must be a date YYYY-MM-DD (got "${issueDate}")`);
  }
  return date;
}

function drawHeader(pdf: Doc, c: InvoiceContent): number {
  const leftWidth = 210;
  let left = PAGE.margin;
  left += write(pdf, c.seller.name, PAGE.margin, left, { width: leftWidth, font: BOLD, size: 15 }) + 4;
  for (const line of c.seller.lines) {
    left += write(pdf, line, PAGE.margin, left, { width: leftWidth, color: MUTED });
  }

  const labelX = 270;
  const labelWidth = 80;
  const valueX = labelX + labelWidth + 8;
  const valueWidth = RIGHT - valueX;
  let right = PAGE.margin;
  right += write(pdf, "INVOICE", labelX, right, {
    width: RIGHT - labelX,
    font: BOLD,
    size: 20,
    align: "right",
  });
  if (c.statusBadge !== null) {
    right += write(pdf, c.statusBadge, labelX, right, {
      width: RIGHT - labelX,
      font: BOLD,
      size: 12,
      color: ALERT,
      align: "right",
    });
  }
  right += 6;
  for (const fact of c.facts) {
    write(pdf, fact.label, labelX, right, { width: labelWidth, color: MUTED, align: "right" });
    right += write(pdf, fact.value, valueX, right, { width: valueWidth }) + 1.5;
  }
  return Math.max(left, right);
}

function drawBillTo(pdf: Doc, c: InvoiceContent, top: number): number {
  let y = top;
  y += write(pdf, "BILL TO", PAGE.margin, y, { width: 250, font: BOLD, size: 8, color: MUTED }) + 2;
  y += write(pdf, c.billTo.name, PAGE.margin, y, { width: 250, font: BOLD, size: 10 }) + 1;
  for (const line of c.billTo.lines) y += write(pdf, line, PAGE.margin, y, { width: 250 });
  return y;
}

function columnX(i: number): number {
  return PAGE.margin + COLUMN_WIDTHS.slice(0, i).reduce((a, b) => a + b, 0);
}

/** A cell's style; a figure in a numeric column is shrunk to fit rather than broken over two lines. */
function cellStyle(
  pdf: Doc,
  c: InvoiceContent,
  text: string,
  i: number,
  header: boolean,
): { style: TextStyle; dy: number } {
  const numeric = c.lineColumns[i]?.numeric === true;
  const style: TextStyle = {
    width: (COLUMN_WIDTHS[i] ?? 0) - 2 * PAD,
    size: TABLE_SIZE,
    font: header ? BOLD : FONT,
    color: header ? MUTED : INK,
    align: numeric ? "right" : "left",
  };
  return numeric && !header ? onOneLine(pdf, text, style) : { style, dy: 0 };
}

/** The height of a row's tallest cell, padding included. */
function rowHeight(pdf: Doc, c: InvoiceContent, cells: string[], header: boolean): number {
  const heights = cells.map((text, i) => measure(pdf, text, cellStyle(pdf, c, text, i, header).style));
  return Math.max(...heights) + 2 * PAD;
}

function drawRow(pdf: Doc, c: InvoiceContent, cells: string[], y: number, header: boolean): number {
  const height = rowHeight(pdf, c, cells, header);
  cells.forEach((text, i) => {
    const { style, dy } = cellStyle(pdf, c, text, i, header);
    write(pdf, text, columnX(i) + PAD, y + PAD + dy, style);
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

function drawLines(pdf: Doc, c: InvoiceContent, top: number): number {
  const header = c.lineColumns.map((col) => col.label);
  let y = drawRow(pdf, c, header, top, true);
  const rows =
    c.lineRows.length === 0 ? [["No charges in this period.", "", "", "", "", "", ""]] : c.lineRows;
  for (const row of rows) {
    const next = ensureSpace(pdf, y, rowHeight(pdf, c, row, false));
    // A line table continued on a new page repeats its column headings.
    if (next !== y) y = drawRow(pdf, c, header, next, true);
    y = drawRow(pdf, c, row, y, false);
  }
  return y;
}

function drawLineNote(pdf: Doc, note: string, top: number): number {
  const style = { width: CONTENT_WIDTH, size: 7.5, color: MUTED };
  const y = ensureSpace(pdf, top, measure(pdf, note, style));
  return y + write(pdf, note, PAGE.margin, y, style);
}

function drawTotals(pdf: Doc, c: InvoiceContent, top: number): number {
  const styleOf = (row: InvoiceContent["totals"][number]) => {
    const strong = row.kind === "total" || row.kind === "due";
    return { font: strong ? BOLD : FONT, size: row.kind === "total" ? 11 : 9.5 };
  };
  // The value column is as wide as the widest figure (90 pt at least), so no figure wraps; the box grows
  // to the left to keep its labels room.
  const widest = Math.max(...c.totals.map((row) => textWidth(pdf, row.value, styleOf(row))));
  const valueWidth = Math.min(Math.max(90, Math.ceil(widest) + PAD + 2), CONTENT_WIDTH - 120);
  const width = Math.min(Math.max(260, valueWidth + 170), CONTENT_WIDTH);
  const x = RIGHT - width;
  let y = ensureSpace(pdf, top, c.totals.length * 16);
  for (const row of c.totals) {
    const style = styleOf(row);
    if (row.kind === "total" || row.kind === "due") {
      pdf.moveTo(x, y).lineTo(RIGHT, y).lineWidth(1.2).strokeColor(INK).stroke();
      y += 4;
    }
    const label = write(pdf, row.label, x + PAD, y, { ...style, width: width - valueWidth - 2 * PAD });
    const fit = onOneLine(pdf, row.value, { ...style, width: valueWidth - PAD, align: "right" });
    const value = write(pdf, row.value, RIGHT - valueWidth, y + fit.dy, fit.style) + fit.dy;
    // A wrapped label or figure pushes the next row down by its own height, not the label's alone.
    y += Math.max(label, value) + 4;
  }
  return y;
}

function drawFooters(pdf: Doc, doc: InvoiceDocument, c: InvoiceContent): void {
  const range = pdf.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    pdf.switchToPage(i);
    // Text below the bottom margin would make pdfkit open a new page; the footer lives in that margin.
    const margin = pdf.page.margins.bottom;
    pdf.page.margins.bottom = 0;
    const text = `${doc.seller.name} · ${c.title} · Questions: ${doc.seller.email} · Page ${i + 1} of ${range.count}`;
    write(pdf, text, PAGE.margin, PAGE.height - PAGE.margin + 10, {
      width: CONTENT_WIDTH,
      size: 8,
      color: MUTED,
      align: "right",
    });
    pdf.page.margins.bottom = margin;
  }
}
