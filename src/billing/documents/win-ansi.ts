import type { CurrencyDisplay } from "../../domain/money.ts";

// pdfkit's standard fonts (Helvetica, …) use WinAnsiEncoding (Windows-1252). pdfkit passes any other
// character through as its raw code, which prints as garbage, so text is checked before it is drawn.

// The code points Windows-1252 places at 0x80–0x9F (€, ‚, ƒ, „, …, Š, Œ, Ž, ‘ ’ “ ” •, – —, ˜, ™, š, œ, ž, Ÿ).
const HIGH_WIN_ANSI = new Set([
  0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017d,
  0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x017e,
  0x0178,
]);

function isWinAnsi(codePoint: number): boolean {
  return (
    (codePoint >= 0x20 && codePoint <= 0x7e) ||
    (codePoint >= 0xa0 && codePoint <= 0xff) ||
    HIGH_WIN_ANSI.has(codePoint)
  );
}

export function canEncodeWinAnsi(text: string): boolean {
  for (const ch of text) if (!isWinAnsi(ch.codePointAt(0) ?? 0)) return false;
  return true;
}

/**
 * Text the standard fonts can show: accents they lack are dropped ("ő" → "o"), other whitespace becomes
 * a space, anything else becomes "?" — visibly missing rather than silently wrong.
 */
export function toWinAnsi(text: string): string {
  let out = "";
  for (const ch of text.normalize("NFC")) {
    if (isWinAnsi(ch.codePointAt(0) ?? 0)) out += ch;
    else if (/\s/u.test(ch)) out += " ";
    else {
      const base = ch.normalize("NFKD").replace(/\p{M}/gu, "");
      // A lone combining mark leaves nothing behind; a letter the font lacks leaves a visible "?".
      out += base === "" || canEncodeWinAnsi(base) ? base : "?";
    }
  }
  return out;
}

/**
 * The currency block with every part the font cannot show replaced: a symbol by the ISO code
 * ("₹" → "INR "), a separator by its plain ASCII counterpart, so amounts stay exact and readable.
 */
export function winAnsiCurrency(currency: CurrencyDisplay): CurrencyDisplay {
  const ok = canEncodeWinAnsi;
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
