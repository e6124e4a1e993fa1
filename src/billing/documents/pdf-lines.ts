import { PRIMARY } from "./pdf-fonts.ts";

// Lines of text that tokenbill lays out itself rather than pdfkit: right-to-left text (pdf-bidi.ts orders
// each line, so the lines must be known first) and text drawn partly with a fallback font (pdf-fonts.ts;
// pdfkit draws one font at a time).

/** Chinese characters and kana: a line may break before each, as no spaces separate the words. */
const CLOSE_SET = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** Scripts written without spaces between words, whose words a dictionary tells apart (ICU's, in Node). */
const UNSPACED = /[\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const words = new Intl.Segmenter(undefined, { granularity: "word" });

/** A space-separated word cut where a line may break inside it: before a Chinese character, between Thai words. */
function cutWord(word: string): string[] {
  if (UNSPACED.test(word)) return Array.from(words.segment(word), (s) => s.segment);
  const cuts: string[] = [];
  let piece = "";
  for (const ch of word) {
    if (piece !== "" && CLOSE_SET.test(ch)) {
      cuts.push(piece);
      piece = "";
    }
    piece += ch;
  }
  cuts.push(piece);
  return cuts;
}

/** The pieces a line may break between, each with whether a space joins it to the one before. */
function breakablePieces(text: string): { text: string; spaced: boolean }[] {
  return text
    .split(" ")
    .flatMap((word, w) => cutWord(word).map((piece, i) => ({ text: piece, spaced: i === 0 && w > 0 })));
}

/**
 * The text broken into lines of at most `width` (by `widthOf`, which measures a line as drawn), in the order
 * it was written: at spaces, before each Chinese character or kana, and between Thai, Lao, Khmer or Burmese
 * words; a piece wider than a line is broken between its characters. For text tokenbill lays out itself (right-to-left text, fallback fonts): pdfkit
 * breaks other text.
 */
export function breakLines(text: string, width: number, widthOf: (line: string) => number): string[] {
  const lines: string[] = [];
  let line = "";
  const add = (piece: string, spaced: boolean) => {
    const longer = line === "" ? piece : `${line}${spaced ? " " : ""}${piece}`;
    if (line === "" || widthOf(longer) <= width) {
      line = longer;
      return;
    }
    lines.push(line);
    line = piece;
  };
  for (const piece of breakablePieces(text)) {
    if (widthOf(piece.text) <= width) {
      add(piece.text, piece.spaced);
      continue;
    }
    // Wider than a line on its own (a long Thai word, a long name): broken between its characters.
    let spaced = piece.spaced;
    for (const { segment } of graphemes.segment(piece.text)) {
      add(segment, spaced);
      spaced = false;
    }
  }
  lines.push(line);
  return lines;
}

/** A stretch of a line drawn with one font: PRIMARY (DejaVu) or the index of a fallback font. */
export interface FontRun {
  font: number;
  text: string;
}

const RLI = "\u2067";
const PDI = "\u2069";
const SPACES = /[ \u00a0\u202f]/u;

/**
 * A line in drawing order (pdf-bidi.ts's layoutOrder) cut where the font changes. A right-to-left piece
 * (RLI…PDI) stays whole, in the font of its first letter; a space stays in the font of the run it is in.
 */
export function fontRuns(line: string, fontFor: (codePoint: number) => number | undefined): FontRun[] {
  const runs: FontRun[] = [];
  const add = (font: number, text: string) => {
    const last = runs.at(-1);
    if (last?.font === font) last.text += text;
    else runs.push({ font, text });
  };
  const chars = [...line];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === RLI) {
      const end = chars.indexOf(PDI, i);
      const piece = chars.slice(i, end < 0 ? chars.length : end + 1);
      const letter = piece.find((c) => c !== RLI && c !== PDI && !SPACES.test(c));
      add(
        letter === undefined ? (runs.at(-1)?.font ?? PRIMARY) : (fontFor(letter.codePointAt(0)!) ?? PRIMARY),
        piece.join(""),
      );
      i += piece.length - 1;
    } else if (SPACES.test(ch) && runs.length > 0) add(runs.at(-1)!.font, ch);
    else add(fontFor(ch.codePointAt(0)!) ?? PRIMARY, ch);
  }
  return runs;
}
