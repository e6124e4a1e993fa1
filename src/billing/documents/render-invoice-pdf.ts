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
import { ServiceError } from "../../kernel/errors.ts";
import { describeInvoice, type InvoiceContent } from "./invoice-content.ts";
import type { InvoiceDocument } from "./invoice-document.ts";
import { pdfFonts } from "./pdf-fonts.ts";
import { block, group, labelledRow, rootOf } from "./pdf-tags.ts";
import { printableCurrency } from "./pdf-text.ts";
import { columnsOf, drawFooters, drawTable, drawTotals, type TotalsRow } from "./pdf-table.ts";

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
  y = await drawLines(pdf, content, y + 20);
  if (content.lineNote !== null) y = drawLineNote(pdf, content.lineNote, y + 4);
  const noteStyle = { width: CONTENT_WIDTH, font: BOLD, size: 10 };
  const noteHeight = Math.max(30, measure(pdf, content.note, noteStyle));
  y = drawTotals(pdf, totalsRows(content), y + 12, 18 + noteHeight);
  y = ensureSpace(pdf, y + 18, noteHeight);
  block(pdf, "P", () => write(pdf, content.note, PAGE.margin, y, noteStyle));
  drawFooters(pdf, doc.seller, content.title);
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
  const labelX = 270;
  const labelWidth = 80;
  const valueX = labelX + labelWidth + 8;
  const valueWidth = RIGHT - valueX;
  // Read in the order a reader looks: the document's heading first, then who sent it, then its facts.
  let right = PAGE.margin;
  right += block(pdf, "H1", () =>
    write(pdf, "INVOICE", labelX, right, { width: RIGHT - labelX, font: BOLD, size: 20, align: "right" }),
  );
  left += block(pdf, "P", () =>
    write(pdf, c.seller.name, PAGE.margin, left, { width: leftWidth, font: BOLD, size: 15 }),
  );
  left += 4;
  for (const line of c.seller.lines) {
    left += block(pdf, "P", () => write(pdf, line, PAGE.margin, left, { width: leftWidth, color: MUTED }));
  }

  const badge = c.statusBadge;
  if (badge !== null) {
    right += block(pdf, "P", () =>
      write(pdf, badge, labelX, right, {
        width: RIGHT - labelX,
        font: BOLD,
        size: 12,
        color: ALERT,
        align: "right",
      }),
    );
  }
  right += 6;
  // The facts are a table of two columns, each row headed by its label.
  const facts = group(pdf, rootOf(pdf), "Table");
  for (const fact of c.facts) {
    const top = right;
    const drawn = labelledRow(
      pdf,
      facts,
      () => write(pdf, fact.label, labelX, top, { width: labelWidth, color: MUTED, align: "right" }),
      () => write(pdf, fact.value, valueX, top, { width: valueWidth }),
    );
    right += drawn.value + 1.5;
  }
  facts.end();
  return Math.max(left, right);
}

function drawBillTo(pdf: Doc, c: InvoiceContent, top: number): number {
  let y = top;
  y +=
    block(pdf, "H2", () =>
      write(pdf, "BILL TO", PAGE.margin, y, { width: 250, font: BOLD, size: 8, color: MUTED }),
    ) + 2;
  y +=
    block(pdf, "P", () => write(pdf, c.billTo.name, PAGE.margin, y, { width: 250, font: BOLD, size: 10 })) +
    1;
  for (const line of c.billTo.lines)
    y += block(pdf, "P", () => write(pdf, line, PAGE.margin, y, { width: 250 }));
  return y;
}

async function drawLines(pdf: Doc, c: InvoiceContent, top: number): Promise<number> {
  const columns = columnsOf(COLUMN_WIDTHS, (i) => c.lineColumns[i]?.numeric === true);
  const rows =
    c.lineRows.length === 0 ? [["No charges in this period.", "", "", "", "", "", ""]] : c.lineRows;
  return drawTable(
    pdf,
    columns,
    c.lineColumns.map((col) => col.label),
    rows,
    top,
  );
}

function drawLineNote(pdf: Doc, note: string, top: number): number {
  const style = { width: CONTENT_WIDTH, size: 7.5, color: MUTED };
  const y = ensureSpace(pdf, top, measure(pdf, note, style));
  return y + block(pdf, "P", () => write(pdf, note, PAGE.margin, y, style));
}

/** The invoice's totals: its total and amount due strong, the total larger. */
function totalsRows(c: InvoiceContent): TotalsRow[] {
  return c.totals.map((row) => ({
    label: row.label,
    value: row.value,
    strong: row.kind === "total" || row.kind === "due",
    size: row.kind === "total" ? 11 : 9.5,
  }));
}
