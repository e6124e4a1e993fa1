import type { CurrencyDisplay } from "../../domain/money.ts";
import { pdfFonts } from "./pdf-fonts.ts";

// Text as the PDF's typeface can draw it (pdf-fonts.ts). A character the font has no glyph for would be
// drawn as an empty box, so it is replaced before it is drawn: visibly missing rather than silently wrong.
//
// Right-to-left scripts are replaced too, although DejaVu has Hebrew and Arabic glyphs: pdfkit lays text out
// left to right a word at a time, so "שלום עולם" came out with its words in the wrong order and the space
// between them lost. Drawing them needs the Unicode bidirectional algorithm, which pdfkit does not have.

const RIGHT_TO_LEFT = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;

/**
 * The spaces kept as they are: a no-break space keeps "1 234,56" on one line. Tabs, line breaks and other
 * spaces become a plain space.
 */
const KEPT_SPACES = new Set([" ", "\u00a0", "\u202f"]);
const SPACE = /\s/u;

function printable(ch: string): boolean {
  if (SPACE.test(ch)) return KEPT_SPACES.has(ch) && pdfFonts().covers(ch.codePointAt(0) ?? 0);
  return !RIGHT_TO_LEFT.test(ch) && pdfFonts().covers(ch.codePointAt(0) ?? 0);
}

/** Whether every character of the text can be drawn as it is. */
export function canPrint(text: string): boolean {
  for (const ch of text) if (!printable(ch)) return false;
  return true;
}

/**
 * Text the PDF's font can draw: whitespace other than KEPT_SPACES (tabs, line breaks, em spaces…) becomes a
 * space, a letter whose accent the font lacks keeps its base letter, anything else becomes "?".
 */
export function toPrintable(text: string): string {
  let out = "";
  for (const ch of text.normalize("NFC")) {
    if (printable(ch)) out += ch;
    else if (SPACE.test(ch)) out += " ";
    else if (RIGHT_TO_LEFT.test(ch)) out += "?";
    else {
      const base = ch.normalize("NFKD").replace(/\p{M}/gu, "");
      // A lone combining mark leaves nothing behind; a letter the font lacks leaves a visible "?".
      out += base === "" || canPrint(base) ? base : "?";
    }
  }
  return out;
}

/**
 * The currency block with every part the font cannot draw replaced: a symbol by the ISO code ("₼" →
 * "AZN "), a separator by its plain ASCII counterpart, so amounts stay exact and readable.
 */
export function printableCurrency(currency: CurrencyDisplay): CurrencyDisplay {
  const ok = canPrint;
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
