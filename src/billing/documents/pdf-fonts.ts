import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as fontkit from "fontkit";
import { ConfigError } from "../../config.ts";
import { bidiLayout } from "./pdf-bidi.ts";

// The typeface of every tokenbill PDF: DejaVu Sans Condensed, regular and bold, embedded (pdfkit writes only
// the glyphs a document uses: a one-page invoice is 18 KB instead of 3 KB). pdfkit's built-in Helvetica needs
// no file but encodes WinAnsi (Windows-1252) only, so a customer called "Łukasz", "Őrs" or "Иван" was
// printed as "?ukasz", "Ors" and "????" on an invoice. DejaVu covers Latin with every European accent,
// Greek, Cyrillic, Armenian, Georgian, Hebrew and Arabic; its condensed cut at 8.5 pt is about as wide as
// Helvetica at 9, so the invoice's columns keep their widths (pdf-page.ts's TABLE_SIZE). Licence: the
// Bitstream Vera licence with DejaVu's public-domain changes, which allows embedding
// (node_modules/dejavu-fonts-ttf/LICENSE).
//
// What DejaVu lacks (Chinese, Japanese, Korean, Thai, Devanagari…) is drawn with the fallback fonts of
// PDF_FALLBACK_FONTS, font files the operator installs (Debian's fonts-noto-cjk, say): tokenbill ships none,
// as one CJK font is 5–20 MB. A fallback font has one cut, used for bold text too.
//
// Each font file is parsed once per process, and each document draws with a view of it of its own
// (documentView): fontkit keeps every glyph it hands out in a cache, with the characters of the text that
// first asked for it, and pdfkit writes those characters into the document's ToUnicode map (the text layer:
// search, copy, screen readers). Until 2026-12-07 every document shared one cache: embedding "Ő", which
// DejaVu builds from "O" and a mark, put "O" in the cache with no character, and every later PDF of the
// process read its O back as a space ("ABCDEFGHIJKLMN PQRSTUVWXYZ"). A document's text layer, and its bytes,
// now depend on the document alone.

const require = createRequire(import.meta.url);

function dejaVuFile(name: string): Buffer {
  return readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${name}`));
}

export interface PdfFonts {
  /**
   * DejaVu's cuts and the fallback fonts for one document, with glyphs of their own (documentView): pdfkit
   * takes a fontkit font where its types say a file. One set per document, never shared between two.
   */
  forDocument(): DocumentFonts;
  /** How many fallback fonts PDF_FALLBACK_FONTS names. */
  fallbackCount: number;
  /**
   * Which font draws this code point: -1 for DejaVu (both cuts have it), i for the i-th fallback font,
   * undefined when none does.
   */
  fontFor(codePoint: number): number | undefined;
  /** Whether some font draws this code point (a glyph of its own, not the empty box). */
  covers(codePoint: number): boolean;
}

/** The fonts one document draws with. */
export interface DocumentFonts {
  regular: fontkit.Font;
  bold: fontkit.Font;
  /** PDF_FALLBACK_FONTS, in order. */
  fallbacks: readonly fontkit.Font[];
}

/** fontFor's answer for DejaVu. */
export const PRIMARY = -1;

const loaded = new Map<string, PdfFonts>();
let dejaVu: { regular: fontkit.Font; bold: fontkit.Font } | undefined;

/**
 * What documentView relies on in fontkit 2.0 (pinned in package.json): its glyph cache, by glyph id, and its
 * shaping engine made lazily for the object laid out. pdf-fonts.test.ts fails if an upgrade changes either.
 */
type GlyphCache = { _glyphs: Record<number, unknown> };

/**
 * A document's view of a font parsed once per process: the font's tables (the costly part: a font parsed
 * for every document made an invoice 34 ms against 8) and character map are shared, read only; the glyph
 * cache is the view's own, and so is the shaping engine that fills it, which fontkit makes on the first
 * layout, for the object laid out (the parsed font itself is never laid out: it only answers fontFor).
 * Laid out right to left where the text says so (pdf-bidi.ts).
 */
function documentView(parsed: fontkit.Font): fontkit.Font {
  const view = Object.create(parsed) as fontkit.Font & GlyphCache;
  view._glyphs = {};
  bidiLayout(view);
  return view;
}

/**
 * A font file as PDF_FALLBACK_FONTS names it: `path`, or `path#PostScriptName` for one face of a collection
 * (.ttc), whose first face is taken without a name.
 */
export function readFallbackFont(spec: string): fontkit.Font {
  const hash = spec.lastIndexOf("#");
  const [path, face] = hash > 0 ? [spec.slice(0, hash), spec.slice(hash + 1)] : [spec, undefined];
  let parsed: fontkit.Font | fontkit.FontCollection | null;
  try {
    parsed = fontkit.create(readFileSync(path), face) as fontkit.Font | fontkit.FontCollection | null;
  } catch (e) {
    throw new ConfigError([
      `PDF_FALLBACK_FONTS: ${path} is not a font tokenbill can read (${(e as Error).message})`,
    ]);
  }
  // fontkit answers a collection without the named face with null.
  if (parsed === null) throw new ConfigError([`PDF_FALLBACK_FONTS: ${path} has no face named ${face}`]);
  if (!("fonts" in parsed)) return parsed;
  const first = parsed.fonts[0];
  if (!first) throw new ConfigError([`PDF_FALLBACK_FONTS: ${path} holds no font`]);
  return first;
}

/**
 * The fonts of the documents: DejaVu and the given fallback fonts, each read and parsed once per process, on
 * the first document (a process drawing no PDF never loads them), each document drawing with views of its
 * own (documentView). Handing pdfkit the file instead made it parse the font for every document: 34 ms an
 * invoice against 8.
 */
export function pdfFonts(fallbackFiles: readonly string[] = []): PdfFonts {
  const key = fallbackFiles.join("\n");
  const known = loaded.get(key);
  if (known) return known;
  dejaVu ??= {
    regular: fontkit.create(dejaVuFile("DejaVuSansCondensed.ttf")) as fontkit.Font,
    bold: fontkit.create(dejaVuFile("DejaVuSansCondensed-Bold.ttf")) as fontkit.Font,
  };
  const { regular, bold } = dejaVu;
  const fallbacks = fallbackFiles.map(readFallbackFont);
  // Lookups in the fonts' character maps: cheap enough for every character drawn, and no glyph is made.
  const fontFor = (codePoint: number) => {
    if (regular.hasGlyphForCodePoint(codePoint) && bold.hasGlyphForCodePoint(codePoint)) return PRIMARY;
    const i = fallbacks.findIndex((font) => font.hasGlyphForCodePoint(codePoint));
    return i < 0 ? undefined : i;
  };
  const fonts: PdfFonts = {
    forDocument: () => ({
      regular: documentView(regular),
      bold: documentView(bold),
      fallbacks: fallbacks.map(documentView),
    }),
    fallbackCount: fallbacks.length,
    fontFor,
    covers: (codePoint) => fontFor(codePoint) !== undefined,
  };
  loaded.set(key, fonts);
  return fonts;
}

/** The fonts a configuration asks for: DejaVu and its PDF_FALLBACK_FONTS. */
export function pdfFontsFor(config: { PDF_FALLBACK_FONTS: readonly string[] }): PdfFonts {
  return pdfFonts(config.PDF_FALLBACK_FONTS);
}
