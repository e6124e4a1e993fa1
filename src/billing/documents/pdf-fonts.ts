import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as fontkit from "fontkit";
import { bidiLayout } from "./pdf-bidi.ts";

// The typeface of every tokenbill PDF: DejaVu Sans Condensed, regular and bold, embedded (pdfkit writes only
// the glyphs a document uses: a one-page invoice is 18 KB instead of 3 KB). pdfkit's built-in Helvetica needs
// no file but encodes WinAnsi (Windows-1252) only, so a customer called "Łukasz", "Őrs" or "Иван" was
// printed as "?ukasz", "Ors" and "????" on an invoice. DejaVu covers Latin with every European accent,
// Greek, Cyrillic, Armenian and Georgian; its condensed cut at 8.5 pt is about as wide as Helvetica at 9, so
// the invoice's columns keep their widths (pdf-page.ts's TABLE_SIZE). Licence: the Bitstream Vera licence
// with DejaVu's public-domain changes, which allows embedding (node_modules/dejavu-fonts-ttf/LICENSE).

const require = createRequire(import.meta.url);

function fontFile(name: string): Buffer {
  return readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${name}`));
}

export interface PdfFonts {
  /** Parsed once and shared by every document: pdfkit takes a fontkit font where its types say a file. */
  regular: fontkit.Font;
  bold: fontkit.Font;
  /** Whether both cuts draw this code point (a glyph of its own, not the empty box). */
  covers(codePoint: number): boolean;
}

let loaded: PdfFonts | undefined;

function face(name: string): fontkit.Font {
  const font = fontkit.create(fontFile(name)) as fontkit.Font;
  bidiLayout(font);
  return font;
}

/**
 * Read and parsed once per process, on the first document: 1.4 MB that a process drawing no PDF never loads.
 * Handing pdfkit the file instead made it parse the font for every document: 34 ms an invoice against 8.
 */
export function pdfFonts(): PdfFonts {
  if (loaded) return loaded;
  const regular = face("DejaVuSansCondensed.ttf");
  const bold = face("DejaVuSansCondensed-Bold.ttf");
  const faces = [regular, bold];
  loaded = {
    regular,
    bold,
    // A lookup in the fonts' character maps: cheap enough for every character drawn.
    covers: (codePoint) => faces.every((cut) => cut.hasGlyphForCodePoint(codePoint)),
  };
  return loaded;
}
