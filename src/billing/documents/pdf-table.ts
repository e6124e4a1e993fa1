import {
  BOLD,
  BOTTOM,
  CONTENT_WIDTH,
  type Doc,
  ensureSpace,
  FONT,
  INK,
  measure,
  MUTED,
  onOneLine,
  PAD,
  PAGE,
  RIGHT,
  RULE,
  TABLE_SIZE,
  type TextStyle,
  textWidth,
  write,
} from "./pdf-page.ts";
import { artifact, type Element, group, labelledRow, rootOf, tagged } from "./pdf-tags.ts";

// What every PDF document draws alike (the invoice, credit notes, statements): a table that continues on
// new pages under its headings, the totals box, the footer line. A figure is never broken over two lines in
// any of them: ".74" wrapped under "$4,464,000,000,000" reads as another number (until 2026-12-05 credit
// notes and statements did that; the invoice had its own, fixed copy of this code).

/** A table column: where it starts, how wide it is, and whether it holds figures (right-aligned, whole). */
export interface PdfColumn {
  x: number;
  width: number;
  numeric?: boolean | undefined;
}

/** Columns side by side from the left margin, `widths` wide. */
export function columnsOf(widths: readonly number[], numeric: (i: number) => boolean): PdfColumn[] {
  let x = PAGE.margin;
  return widths.map((width, i) => {
    const column = { x, width, numeric: numeric(i) };
    x += width;
    return column;
  });
}

/** A column to fit to its cells (fittedColumns): figures (right-aligned), and whether it takes the room left. */
export interface FittedColumn {
  numeric?: boolean | undefined;
  /** Free text (a reference, a description): as wide as the other columns leave, wrapped within itself. */
  wraps?: boolean | undefined;
}

/** Room between a fitted column's widest text and its neighbour's, besides the cells' padding. */
const GUTTER = 10;
/** The share of the width the wrapping columns keep however wide the others' texts (huge figures shrink). */
const WRAPPING_SHARE = 1 / 3;

/**
 * Columns as wide as what they hold: each as its widest cell, heading included, and the wrapping column as
 * the rest of the width. A statement's dates and figures are short and its references long: in fixed shares
 * of the width, a card refund's words or a payment's "(received …)" day wrapped onto two or three lines under
 * wide columns of short dates and figures (until 2026-12-07). Measured over every row, so a table continued on
 * new pages keeps its columns; the event loop turns as it does while the rows are drawn (drawTable).
 */
export async function fittedColumns(
  pdf: Doc,
  specs: readonly FittedColumn[],
  headings: readonly string[],
  rows: readonly (readonly string[])[],
): Promise<PdfColumn[]> {
  const columnFor = (width: number) => Math.ceil(width) + 2 * PAD + GUTTER;
  const widths = specs.map((spec, i) =>
    spec.wraps ? 0 : columnFor(textWidth(pdf, headings[i] ?? "", { font: BOLD, size: TABLE_SIZE })),
  );
  // Measured once per shape: pdfkit shapes a string in about 0.6 ms, and DejaVu's digits are all as wide
  // and never kerned, so "-$1,234.56" is as wide as "-$0,000.00" and a thousand figures are a few shapes.
  const measured = specs.map(() => new Set<string>());
  for (const [r, cells] of rows.entries()) {
    if (r > 0 && r % ROWS_BETWEEN_TURNS === 0) await new Promise((turn) => setImmediate(turn));
    for (const [i, text] of cells.entries()) {
      const shape = text.replace(/[0-9]/g, "0");
      if (specs[i]?.wraps || measured[i]?.has(shape)) continue;
      measured[i]?.add(shape);
      widths[i] = Math.max(widths[i] ?? 0, columnFor(textWidth(pdf, shape, { size: TABLE_SIZE })));
    }
  }
  const wrapping = specs.filter((spec) => spec.wraps).length;
  const fixed = widths.reduce((sum, w) => sum + w, 0);
  // Too wide together, the fitted columns share what the wrapping ones leave in proportion: a figure then
  // shrinks to fit (cellStyle), a short text wraps.
  const room = wrapping === 0 ? CONTENT_WIDTH : CONTENT_WIDTH * (1 - WRAPPING_SHARE);
  const scale = fixed > room ? room / fixed : 1;
  const rest = CONTENT_WIDTH - fixed * scale;
  return columnsOf(
    specs.map((spec, i) => {
      const width = (widths[i] ?? 0) * scale;
      // Without a wrapping column the room left goes to every column alike, so the table spans the page.
      if (wrapping === 0) return width + rest / specs.length;
      return spec.wraps ? rest / wrapping : width;
    }),
    (i) => specs[i]?.numeric === true,
  );
}

/** A cell's style; a figure in a numeric column is shrunk to fit rather than broken over two lines. */
function cellStyle(pdf: Doc, column: PdfColumn | undefined, text: string, header: boolean) {
  const numeric = column?.numeric === true;
  const style: TextStyle = {
    width: (column?.width ?? 0) - 2 * PAD,
    size: TABLE_SIZE,
    font: header ? BOLD : FONT,
    color: header ? MUTED : INK,
    align: numeric ? "right" : "left",
  };
  return numeric && !header ? onOneLine(pdf, text, style) : { style, dy: 0 };
}

/** A row's cells as they are drawn (style and offset of each) and the height of its tallest, padding included. */
function layRow(pdf: Doc, columns: readonly PdfColumn[], cells: readonly string[], header: boolean) {
  const laid = cells.map((text, i) => ({ text, ...cellStyle(pdf, columns[i], text, header) }));
  const height = Math.max(...laid.map((cell) => measure(pdf, cell.text, cell.style))) + 2 * PAD;
  return { laid, height };
}

/**
 * How a drawn row is tagged (pdf-tags.ts): under `table` as a row of headings (TH) or cells (TD), or, for the
 * headings repeated on a continued page, as an artifact that a screen reader does not read twice.
 */
type RowTag = { table: Element; cell: "TH" | "TD" } | "repeated";

function drawRow(
  pdf: Doc,
  columns: readonly PdfColumn[],
  row: ReturnType<typeof layRow>,
  y: number,
  header: boolean,
  tag: RowTag,
): number {
  const drawCell = (cell: (typeof row.laid)[number], i: number) =>
    write(pdf, cell.text, (columns[i]?.x ?? PAGE.margin) + PAD, y + PAD + cell.dy, cell.style);
  if (tag === "repeated") {
    artifact(pdf, "Pagination", () => {
      for (const [i, cell] of row.laid.entries()) drawCell(cell, i);
    });
  } else {
    const tr = group(pdf, tag.table, "TR");
    const scope = tag.cell === "TH" ? "Column" : undefined;
    for (const [i, cell] of row.laid.entries()) tagged(pdf, tr, tag.cell, () => drawCell(cell, i), scope);
    tr.end();
  }
  const ruleY = y + row.height;
  artifact(pdf, "Layout", () =>
    pdf
      .moveTo(PAGE.margin, ruleY)
      .lineTo(RIGHT, ruleY)
      .lineWidth(header ? 1.2 : 0.5)
      .strokeColor(header ? INK : RULE)
      .stroke(),
  );
  return ruleY;
}

/**
 * Rows drawn between two turns of the event loop. pdfkit draws synchronously, at about 1.5 ms a row (its
 * shaping of every cell's text), and serve draws documents in the thread that answers GetTokenPricing: a
 * statement of 1,000 entries held every answer for 2–3 s (QA, 2026-12-06) before tables gave way.
 */
export const ROWS_BETWEEN_TURNS = 20;

/** The headings and rows from `top`; a table continued on a new page repeats its headings. */
export async function drawTable(
  pdf: Doc,
  columns: readonly PdfColumn[],
  headings: readonly string[],
  rows: readonly (readonly string[])[],
  top: number,
): Promise<number> {
  const table = group(pdf, rootOf(pdf), "Table");
  const heading = layRow(pdf, columns, headings, true);
  let y = drawRow(pdf, columns, heading, top, true, { table, cell: "TH" });
  for (const [i, cells] of rows.entries()) {
    if (i > 0 && i % ROWS_BETWEEN_TURNS === 0) await new Promise((turn) => setImmediate(turn));
    const row = layRow(pdf, columns, cells, false);
    const next = ensureSpace(pdf, y, row.height);
    if (next !== y) y = drawRow(pdf, columns, heading, next, true, "repeated");
    y = drawRow(pdf, columns, row, y, false, { table, cell: "TD" });
  }
  table.end();
  return y;
}

/** A row of the totals box: `strong` rows (a total, the amount due) are bold under a rule. */
export interface TotalsRow {
  label: string;
  value: string;
  strong?: boolean | undefined;
  /** 9.5 unless given (the invoice's total is 11). */
  size?: number | undefined;
}

/** How the totals box sits: its left edge, its width, and its value column's width. */
function totalsLayout(pdf: Doc, rows: readonly TotalsRow[]) {
  // The value column is as wide as the widest figure (90 pt at least), so no figure wraps; the box grows
  // to the left to keep its labels room.
  const widest = Math.max(...rows.map((row) => textWidth(pdf, row.value, totalsStyle(row))));
  const valueWidth = Math.min(Math.max(90, Math.ceil(widest) + PAD + 2), CONTENT_WIDTH - 120);
  const width = Math.min(Math.max(260, valueWidth + 170), CONTENT_WIDTH);
  return { x: RIGHT - width, width, valueWidth };
}

const totalsStyle = (row: TotalsRow) => ({ font: row.strong ? BOLD : FONT, size: row.size ?? 9.5 });

/** Draws the totals box's rows from `top` (or only measures them); returns the y below it. */
function layTotals(pdf: Doc, rows: readonly TotalsRow[], top: number, draw: boolean): number {
  const { x, width, valueWidth } = totalsLayout(pdf, rows);
  // Drawn, the box is tagged as a table whose rows are each headed by their label (TH, scope Row).
  const table = draw ? group(pdf, rootOf(pdf), "Table") : null;
  let y = top;
  for (const row of rows) {
    const style = totalsStyle(row);
    if (row.strong) {
      if (draw) {
        const ruleY = y;
        artifact(pdf, "Layout", () =>
          pdf.moveTo(x, ruleY).lineTo(RIGHT, ruleY).lineWidth(1.2).strokeColor(INK).stroke(),
        );
      }
      y += 4;
    }
    const labelStyle = { ...style, width: width - valueWidth - 2 * PAD };
    const fit = onOneLine(pdf, row.value, { ...style, width: valueWidth - PAD, align: "right" });
    const rowY = y;
    const drawn =
      table === null
        ? { label: measure(pdf, row.label, labelStyle), value: measure(pdf, row.value, fit.style) }
        : labelledRow(
            pdf,
            table,
            () => write(pdf, row.label, x + PAD, rowY, labelStyle),
            () => write(pdf, row.value, RIGHT - valueWidth, rowY + fit.dy, fit.style),
          );
    const label = drawn.label;
    const value = drawn.value + fit.dy;
    // A wrapped label or figure pushes the next row down by its own height, not the label's alone.
    y += Math.max(label, value) + 4;
  }
  table?.end();
  return y;
}

/**
 * The totals box at the right margin from `top`; returns the y below it. `followedBy` is the height of what
 * comes after it and belongs with it (the document's closing note): the box moves to a new page with it
 * rather than leave that note alone on the last page, when both fit on one.
 */
export function drawTotals(pdf: Doc, rows: readonly TotalsRow[], top: number, followedBy = 0): number {
  const height = layTotals(pdf, rows, 0, false);
  const together = height + followedBy <= BOTTOM - PAGE.margin ? height + followedBy : height;
  return layTotals(pdf, rows, ensureSpace(pdf, top, together), true);
}

/** "Seller · title · Questions: e-mail · Page 1 of 2" in the bottom margin of every page. */
export function drawFooters(pdf: Doc, seller: { name: string; email: string }, title: string): void {
  const range = pdf.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    pdf.switchToPage(i);
    // Text below the bottom margin would make pdfkit open a new page; the footer lives in that margin.
    const margin = pdf.page.margins.bottom;
    pdf.page.margins.bottom = 0;
    const text = `${seller.name} · ${title} · Questions: ${seller.email} · Page ${i + 1} of ${range.count}`;
    // Repeated on every page, the footer is pagination: a screen reader does not read it page after page.
    artifact(pdf, "Pagination", () =>
      write(pdf, text, PAGE.margin, PAGE.height - PAGE.margin + 10, {
        width: CONTENT_WIDTH,
        size: 8,
        color: MUTED,
        align: "right",
      }),
    );
    pdf.page.margins.bottom = margin;
  }
}
