import PDFDocument from "pdfkit";
import { pdfFonts } from "./pdf-fonts.ts";
import { toPrintable } from "./pdf-text.ts";

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
      // pdfkit writes metadata as UTF-16 when it is not ASCII; toPrintable only keeps it to one line.
      Title: toPrintable(info.title),
      Author: toPrintable(info.author),
      Subject: toPrintable(info.subject),
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

/** Draws text in a box and returns its height; every string passes through toPrintable first. */
export function write(pdf: Doc, text: string, x: number, y: number, style: TextStyle): number {
  const options = { width: style.width, align: style.align ?? "left" };
  const safe = toPrintable(text);
  pdf
    .font(style.font ?? FONT)
    .fontSize(style.size ?? 9)
    .fillColor(style.color ?? INK);
  pdf.text(safe, x, y, options);
  return pdf.heightOfString(safe, options);
}

export function measure(pdf: Doc, text: string, style: TextStyle): number {
  pdf.font(style.font ?? FONT).fontSize(style.size ?? 9);
  return pdf.heightOfString(toPrintable(text), { width: style.width });
}

/** Starts a new page when `height` no longer fits below `y`; returns where to draw. */
export function ensureSpace(pdf: Doc, y: number, height: number): number {
  if (y + height <= BOTTOM) return y;
  pdf.addPage();
  return PAGE.margin;
}
