import PDFDocument from "pdfkit";
import { pdfFonts } from "./pdf-fonts.ts";
import { hasRightToLeft, layoutOrder, wrapLogical } from "./pdf-bidi.ts";
import { toMetadata, toPrintable } from "./pdf-text.ts";

// What every tokenbill PDF (invoice, credit note, statement) is drawn with: A4, DejaVu Sans Condensed
// embedded (pdf-fonts.ts; every string passes through toPrintable, so a character the font lacks shows as
// "?"), the same colours, and reproducible bytes (the creation date comes from the document, so pdfkit's file
// ID does too; the embedded subset's name is derived from the font's registered name, not drawn at random).

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
export function newPdf(info: { title: string; author: string; subject: string; createdAt: Date }): Doc {
  const pdf = new PDFDocument({
    font: "", // none: pdfkit would otherwise load Helvetica's metrics for every document, unused
    size: "A4",
    margin: PAGE.margin,
    bufferPages: true,
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
  const fonts = pdfFonts();
  // pdfkit's PDFFontFactory takes a parsed fontkit font (anything with `layout`); @types/pdfkit lists files only.
  pdf.registerFont(FONT, fonts.regular as unknown as Buffer);
  pdf.registerFont(BOLD, fonts.bold as unknown as Buffer);
  return pdf.font(FONT);
}

/** The finished file, once `pdf.end()` has been called. */
export function collect(pdf: Doc): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    pdf.on("data", (chunk: Buffer) => chunks.push(chunk));
    pdf.on("end", () => resolve(Buffer.concat(chunks)));
    pdf.on("error", reject);
  });
}

/**
 * The text as it is handed to pdfkit: what the font draws (toPrintable), and, when it has right-to-left
 * letters, broken into lines of `width`, each put in the order it is drawn (pdf-bidi.ts). Each line is
 * drawn on its own: joined with line breaks, pdfkit broke a line that fitted by half a point once more.
 * The font and size must be set: lines are measured with them.
 */
function drawable(pdf: Doc, text: string, width: number): string[] {
  const printable = toPrintable(text);
  if (!hasRightToLeft(printable)) return [printable];
  const widthOf = (line: string) => pdf.widthOfString(layoutOrder(line));
  return wrapLogical(printable, width, widthOf).map(layoutOrder);
}

/** Draws text in a box and returns its height; every string passes through toPrintable first. */
export function write(pdf: Doc, text: string, x: number, y: number, style: TextStyle): number {
  const options = { width: style.width, align: style.align ?? "left" };
  pdf
    .font(style.font ?? FONT)
    .fontSize(style.size ?? 9)
    .fillColor(style.color ?? INK);
  let height = 0;
  for (const line of drawable(pdf, text, style.width)) {
    pdf.text(line, x, y + height, options);
    height += pdf.heightOfString(line, options);
  }
  return height;
}

export function measure(pdf: Doc, text: string, style: TextStyle): number {
  pdf.font(style.font ?? FONT).fontSize(style.size ?? 9);
  const options = { width: style.width };
  return drawable(pdf, text, style.width).reduce((sum, line) => sum + pdf.heightOfString(line, options), 0);
}

/** Starts a new page when `height` no longer fits below `y`; returns where to draw. */
export function ensureSpace(pdf: Doc, y: number, height: number): number {
  if (y + height <= BOTTOM) return y;
  pdf.addPage();
  return PAGE.margin;
}
