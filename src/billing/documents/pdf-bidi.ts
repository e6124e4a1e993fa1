import { createRequire } from "node:module";
import type { Bidi } from "bidi-js";
import type * as fontkit from "fontkit";

// Right-to-left text in tokenbill's PDFs: a customer "שלום כהן", a company "شركة الأمل", a server named in
// Arabic. pdfkit lays text out left to right, cutting it at every space and shaping each piece with fontkit,
// which reverses a piece in a right-to-left script on its own: "שלום עולם" came out with its space lost
// and "Acme שלום 123 עולם Ltd" with its Hebrew words in the wrong order.
//
// So the Unicode bidirectional algorithm (bidi-js) runs before pdfkit, on each line, in a left-to-right
// paragraph (the documents are left-to-right): the line's pieces are put in the order they are seen, and
// each right-to-left piece is handed over whole, in the order it was written, between RLI and PDI (the
// isolate marks, which toPrintable never lets through). pdfkit does not cut it there: its spaces are
// no-break spaces. The fonts' layout (bidiLayout) shapes such a piece right to left, so Arabic letters join
// as written, and everything else left to right, so "١٢٣" after Latin text keeps its order.
// Lines are broken before the reordering (pdf-lines.ts), so a right-to-left paragraph's first words stay on
// its first line.

// bidi-js is CommonJS exporting its factory; its types declare an ES default export, which NodeNext reads as
// a property of the module. Required, the factory is what it is.
const bidi = (createRequire(import.meta.url)("bidi-js") as () => Bidi)();
const RLI = "\u2067";
const PDI = "\u2069";
const NO_BREAK_SPACE = "\u00a0";
const RIGHT_TO_LEFT_PIECE = /(\u2067[^\u2069]*\u2069)/;

/** A letter of a right-to-left script (bidi classes R and AL): text without one needs no reordering. */
const RIGHT_TO_LEFT_LETTER =
  /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]|\ud802[\udc00-\udfff]|\ud803[\udc00-\udfff]|\ud83a[\udc00-\udfff]|\ud83b[\udc00-\udeff]/;

export function hasRightToLeft(text: string): boolean {
  return RIGHT_TO_LEFT_LETTER.test(text);
}

/**
 * One line in the order pdfkit must draw it: its pieces as seen from left to right, each right-to-left piece
 * as written between RLI and PDI, with its mirrored characters swapped ("(" for ")") and no-break spaces.
 */
export function layoutOrder(line: string): string {
  if (!hasRightToLeft(line)) return line;
  const embedding = bidi.getEmbeddingLevels(line, "ltr");
  const { levels } = embedding;
  const mirrored = bidi.getMirroredCharactersMap(line, levels);
  const seen = bidi.getReorderedIndices(line, embedding);
  const isRightToLeft = (k: number) => (levels[k]! & 1) === 1;
  let out = "";
  for (let i = 0; i < seen.length; ) {
    const rtl = isRightToLeft(seen[i]!);
    let j = i;
    while (j < seen.length && isRightToLeft(seen[j]!) === rtl) j++;
    const piece = seen.slice(i, j);
    // A right-to-left piece is a stretch of the line reversed: reversed back, it is the stretch as written.
    if (rtl) piece.reverse();
    const text = piece.map((k) => mirrored.get(k) ?? line[k]).join("");
    out += rtl ? RLI + text.replaceAll(" ", NO_BREAK_SPACE) + PDI : text;
    i = j;
  }
  return out;
}

type Layout = fontkit.Font["layout"];
type Direction = "ltr" | "rtl";

/**
 * Makes the font lay out layoutOrder's text: each RLI…PDI piece right to left, the rest left to right, in
 * the order given. Without it fontkit would pick each piece's direction from its first letter's script.
 */
export function bidiLayout(font: fontkit.Font): void {
  const original = font.layout.bind(font) as (
    text: string,
    features: unknown,
    script: undefined,
    language: undefined,
    direction: Direction,
  ) => fontkit.GlyphRun;
  const layout = (text: string, features?: unknown) => {
    if (!text.includes(RLI)) return original(text, features, undefined, undefined, "ltr");
    const pieces = text.split(RIGHT_TO_LEFT_PIECE).filter((piece) => piece !== "");
    const runs = pieces.map((piece) =>
      piece.startsWith(RLI)
        ? original(piece.slice(1, -1), features, undefined, undefined, "rtl")
        : original(piece, features, undefined, undefined, "ltr"),
    );
    // One run: pdfkit reads its glyphs and positions (the advance width is summed from the positions).
    const [first, ...rest] = runs as [fontkit.GlyphRun, ...fontkit.GlyphRun[]];
    for (const run of rest) {
      first.glyphs.push(...run.glyphs);
      first.positions.push(...run.positions);
    }
    return first;
  };
  font.layout = layout as Layout;
}
