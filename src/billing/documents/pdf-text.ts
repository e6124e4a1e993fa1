import type { CurrencyDisplay } from "../../domain/money.ts";
import { type PdfFonts, pdfFonts } from "./pdf-fonts.ts";

// Text as the PDF's typeface can draw it (pdf-fonts.ts). A character the font has no glyph for would be
// drawn as an empty box, so it is replaced before it is drawn: visibly missing rather than silently wrong.
// Right-to-left text is kept; pdf-bidi.ts puts it in the order it is drawn in.

/**
 * The explicit direction marks (embeddings, overrides, isolates) are never drawn: an override can make a
 * name read as another, and pdf-bidi.ts marks its right-to-left pieces with the isolates. The implicit
 * marks (U+200E, U+200F) and the joiners stay: they only steer the order and the joining of letters.
 */
const EXPLICIT_DIRECTION = /[\u202a-\u202e\u2066-\u2069]/u;

/**
 * The spaces kept as they are: a no-break space keeps "1 234,56" on one line. Tabs, line breaks and other
 * spaces become a plain space.
 */
const KEPT_SPACES = new Set([" ", "\u00a0", "\u202f"]);
const SPACE = /\s/u;

function printable(ch: string, fonts: PdfFonts): boolean {
  if (SPACE.test(ch)) return KEPT_SPACES.has(ch) && fonts.covers(ch.codePointAt(0) ?? 0);
  return !EXPLICIT_DIRECTION.test(ch) && fonts.covers(ch.codePointAt(0) ?? 0);
}

/** Whether every character of the text can be drawn as it is, with these fonts (DejaVu alone by default). */
export function canPrint(text: string, fonts = pdfFonts()): boolean {
  for (const ch of text) if (!printable(ch, fonts)) return false;
  return true;
}

/**
 * Text the PDF's font can draw: whitespace other than KEPT_SPACES (tabs, line breaks, em spaces…) becomes a
 * space, a letter whose accent the font lacks keeps its base letter, anything else becomes "?".
 */
export function toPrintable(text: string, fonts = pdfFonts()): string {
  let out = "";
  for (const ch of text.normalize("NFC")) {
    if (printable(ch, fonts)) out += ch;
    else if (SPACE.test(ch)) out += " ";
    else {
      // A compatibility form the font lacks (an Arabic presentation form, a script "ℊ") is drawn as what it
      // stands for when the font has that; else without its marks.
      const compatible = ch.normalize("NFKD");
      const base = compatible.replace(/\p{M}/gu, "");
      // A lone combining mark leaves nothing behind; a letter the font lacks leaves a visible "?".
      if (compatible !== ch && canPrint(compatible, fonts)) out += compatible;
      else out += base === "" || canPrint(base, fonts) ? base : "?";
    }
  }
  return out;
}

/**
 * Text for the document's metadata (title, author, subject): pdfkit writes it as UTF-16 and the reader's
 * viewer shows it, so every character is kept, in the order written, on one line without control characters.
 */
export function toMetadata(text: string): string {
  return text
    .normalize("NFC")
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, " ")
    .replace(new RegExp(EXPLICIT_DIRECTION.source, "gu"), "");
}

/**
 * The currency block with every part the font cannot draw replaced: a symbol by the ISO code ("₼" →
 * "AZN "), a separator by its plain ASCII counterpart, so amounts stay exact and readable.
 */
export function printableCurrency(currency: CurrencyDisplay, fonts = pdfFonts()): CurrencyDisplay {
  const ok = (text: string) => canPrint(text, fonts);
  const { displayPrefix, displaySuffix, thousandsSeparator, decimalsSeparator, code } = currency;
  if ([displayPrefix, displaySuffix, thousandsSeparator, decimalsSeparator].every(ok)) return currency;
  return {
    ...currency,
    displayPrefix: ok(displayPrefix) ? displayPrefix : `${code} `,
    displaySuffix: ok(displaySuffix) ? displaySuffix : ` ${code}`,
    thousandsSeparator: ok(thousandsSeparator) ? thousandsSeparator : " ",
    decimalsSeparator: ok(decimalsSeparator) ? decimalsSeparator : ".",
  };
}
