import PDFDocument from "pdfkit";
import { hasRightToLeft, layoutOrder } from "./pdf-bidi.ts";
import { type PdfFonts, PRIMARY, pdfFonts } from "./pdf-fonts.ts";
import { packObjects } from "./pdf-object-streams.ts";
import { breakLines, type FontRun, fontRuns } from "./pdf-lines.ts";
import { startStructure } from "./pdf-tags.ts";
import { toMetadata, toPrintable } from "./pdf-text.ts";

// What every tokenbill PDF (invoice, credit note, statement) is drawn with: A4, DejaVu Sans Condensed
// embedded, and the configured fallback fonts for what it lacks (pdf-fonts.ts; every string passes through
// toPrintable, so a character no font has shows as "?"), the same colours, and reproducible bytes (the
// creation date comes from the document, so pdfkit's file ID does too; the embedded subsets' names are
// derived from the fonts' registered names, not drawn at random), tagged for screen readers (pdf-tags.ts).

export const PAGE = { width: 595.28, height: 841.89, margin: 50 }; // A4 in points
export const RIGHT = PAGE.width - PAGE.margin;
export const CONTENT_WIDTH = RIGHT - PAGE.margin;
export const BOTTOM = PAGE.height - PAGE.margin - 20; // room for the footer line
export const FONT = "tokenbill-sans";
export const BOLD = "tokenbill-sans-bold";
/** Tables' text: DejaVu's condensed cut at 8.5 pt is about as wide as Helvetica at 9, and as easy to read. */
export const TABLE_SIZE = 8.5;
export const INK = "#1f2328";
export const MUTED = "#59636e";
export const RULE = "#d1d9e0";
export const PAD = 3;

export type Doc = PDFKit.PDFDocument;

export interface TextStyle {
  width: number;
  font?: string;
  size?: number;
  color?: string;
  align?: "left" | "right";
}

/** A new A4 document with tokenbill's metadata; `bufferPages` lets footers know the page count. */
export function newPdf(
  info: { title: string; author: string; subject: string; createdAt: Date },
  fonts: PdfFonts = pdfFonts(),
): Doc {
  const pdf = new PDFDocument({
    font: "", // none: pdfkit would otherwise load Helvetica's metrics for every document, unused
    size: "A4",
    margin: PAGE.margin,
    bufferPages: true,
    // 1.5 for object streams: collect packs the structure tree's many small objects (pdf-object-streams.ts).
    pdfVersion: "1.5",
    // Tagged (pdf-tags.ts): a screen reader reads the structure tree, in English, under the title.
    tagged: true,
    displayTitle: true,
    lang: "en",
    info: {
      // pdfkit writes metadata as UTF-16 when it is not ASCII: no font is involved.
      Title: toMetadata(info.title),
      Author: toMetadata(info.author),
      Subject: toMetadata(info.subject),
      Creator: "tokenbill",
      Producer: "tokenbill (PDFKit)",
      CreationDate: info.createdAt,
    },
  });
  // pdfkit's PDFFontFactory takes a parsed fontkit font (anything with `layout`); @types/pdfkit lists files only.
  // This document's own (pdf-fonts.ts: a glyph shared between documents kept the first one's characters).
  const own = fonts.forDocument();
  pdf.registerFont(FONT, own.regular as unknown as Buffer);
  pdf.registerFont(BOLD, own.bold as unknown as Buffer);
  for (const [i, font] of own.fallbacks.entries())
    pdf.registerFont(fallbackName(i), font as unknown as Buffer);
  documentFonts.set(pdf, fonts);
  startStructure(pdf);
  return pdf.font(FONT);
}

/** Each document's fonts, for write and measure. */
const documentFonts = new WeakMap<Doc, PdfFonts>();

function fallbackName(i: number): string {
  return `tokenbill-fallback-${i}`;
}

/** The finished file, once `pdf.end()` has been called, its objects packed (pdf-object-streams.ts). */
export function collect(pdf: Doc): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    pdf.on("data", (chunk: Buffer) => chunks.push(chunk));
    pdf.on("end", () => {
      try {
        resolve(packObjects(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    pdf.on("error", reject);
  });
}

/** A line tokenbill lays out itself: its font runs in drawing order (pdf-lines.ts). */
type OwnLine = FontRun[];

/**
 * The text as it is handed to pdfkit: what the fonts draw (toPrintable), as one string that pdfkit breaks
 * into lines itself, or, when it has right-to-left letters or characters DejaVu lacks, as lines tokenbill
 * broke to `width`, each in drawing order (pdf-bidi.ts) and cut into font runs. Such a line is drawn on its
 * own: joined with line breaks, pdfkit broke a line that fitted by half a point once more. The style's font
 * and size must be set: lines are measured with them.
 */
function drawable(pdf: Doc, text: string, width: number, font: string): string | OwnLine[] {
  const fonts = documentFonts.get(pdf) ?? pdfFonts();
  const printable = toPrintable(text, fonts);
  const fallback = fonts.fallbackCount > 0 && needsFallback(printable, fonts);
  if (!fallback && !hasRightToLeft(printable)) return printable;
  const runsOf = (line: string): OwnLine =>
    fallback ? fontRuns(layoutOrder(line), fonts.fontFor) : [{ font: PRIMARY, text: layoutOrder(line) }];
  const widthOf = (line: string) => lineWidth(pdf, runsOf(line), font);
  return breakLines(printable, width, widthOf).map(runsOf);
}

function needsFallback(text: string, fonts: PdfFonts): boolean {
  for (const ch of text) if (fonts.fontFor(ch.codePointAt(0)!) !== PRIMARY) return true;
  return false;
}

/** The font a run is drawn in: the style's DejaVu cut, or a fallback font (one cut, for bold too). */
function runFont(run: FontRun, font: string): string {
  return run.font === PRIMARY ? font : fallbackName(run.font);
}

function lineWidth(pdf: Doc, line: OwnLine, font: string): number {
  let width = 0;
  for (const run of line) width += pdf.font(runFont(run, font)).widthOfString(run.text);
  pdf.font(font);
  return width;
}

/** A line's height: its tallest font's. */
function lineHeight(pdf: Doc, line: OwnLine, font: string): number {
  let height = 0;
  for (const run of line) height = Math.max(height, pdf.font(runFont(run, font)).currentLineHeight(true));
  pdf.font(font);
  return height;
}

/** Draws text in a box and returns its height; every string passes through toPrintable first. */
export function write(pdf: Doc, text: string, x: number, y: number, style: TextStyle): number {
  const options = { width: style.width, align: style.align ?? "left" };
  const font = style.font ?? FONT;
  pdf
    .font(font)
    .fontSize(style.size ?? 9)
    .fillColor(style.color ?? INK);
  const safe = drawable(pdf, text, style.width, font);
  if (typeof safe === "string") {
    pdf.text(safe, x, y, options);
    return pdf.heightOfString(safe, options);
  }
  let height = 0;
  for (const line of safe) {
    if (line.length === 1 && line[0]!.font === PRIMARY) {
      pdf.text(line[0]!.text, x, y + height, options);
      height += pdf.heightOfString(line[0]!.text, options);
      continue;
    }
    // Runs of several fonts, one after another on the line; a line fits its box (breakLines).
    let runX = options.align === "right" ? x + style.width - lineWidth(pdf, line, font) : x;
    for (const run of line) {
      pdf.font(runFont(run, font)).text(run.text, runX, y + height, { lineBreak: false });
      runX += pdf.widthOfString(run.text);
    }
    height += lineHeight(pdf, line, font);
  }
  return height;
}

export function measure(pdf: Doc, text: string, style: TextStyle): number {
  const font = style.font ?? FONT;
  pdf.font(font).fontSize(style.size ?? 9);
  const options = { width: style.width };
  const safe = drawable(pdf, text, style.width, font);
  if (typeof safe === "string") return pdf.heightOfString(safe, options);
  return safe.reduce(
    (sum, line) =>
      sum +
      (line.length === 1 && line[0]!.font === PRIMARY
        ? pdf.heightOfString(line[0]!.text, options)
        : lineHeight(pdf, line, font)),
    0,
  );
}

/** How wide `text` is on one line in the style's font and size. */
export function textWidth(pdf: Doc, text: string, style: Omit<TextStyle, "width">): number {
  const font = style.font ?? FONT;
  pdf.font(font).fontSize(style.size ?? 9);
  const safe = drawable(pdf, text, Number.POSITIVE_INFINITY, font);
  if (typeof safe === "string") return pdf.widthOfString(safe);
  return Math.max(0, ...safe.map((line) => lineWidth(pdf, line, font)));
}

/**
 * The style, its size shrunk when `text` is wider than its box, so that a figure is drawn whole on one line:
 * "Rp 2.197.800,00" broken at its space, or ".74" wrapped under the rest, reads as another number.
 */
export function onOneLine(pdf: Doc, text: string, style: TextStyle): { style: TextStyle; dy: number } {
  const width = textWidth(pdf, text, style);
  if (width <= style.width) return { style, dy: 0 };
  // A little under the exact fit: pdfkit wraps a line that is wider than its box by a rounding error.
  const size = ((style.size ?? 9) * style.width * 0.98) / width;
  // `dy` lowers the smaller text onto the row's baseline, so it reads as part of the same line.
  const font = style.font ?? FONT;
  return { style: { ...style, size }, dy: ascent(pdf, font, style.size ?? 9) - ascent(pdf, font, size) };
}

/** How far below the top of its box pdfkit draws the baseline of `font` at `size`. */
function ascent(pdf: Doc, font: string, size: number): number {
  pdf.font(font).fontSize(size);
  // pdfkit's typings leave out the current font; its ascender is in thousandths of the size.
  const current = (pdf as unknown as { _font?: { ascender?: number } })._font;
  return ((current?.ascender ?? 800) / 1000) * size;
}

/** Starts a new page when `height` no longer fits below `y`; returns where to draw. */
export function ensureSpace(pdf: Doc, y: number, height: number): number {
  if (y + height <= BOTTOM) return y;
  pdf.addPage();
  return PAGE.margin;
}
