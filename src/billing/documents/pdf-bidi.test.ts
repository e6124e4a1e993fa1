import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import fc from "fast-check";
import * as fontkit from "fontkit";
import { describe, expect, it } from "vitest";
import { layoutOrder } from "./pdf-bidi.ts";
import { pdfFonts } from "./pdf-fonts.ts";

// Right-to-left text as the PDFs draw it. What a reader sees is the order of the glyphs the font lays out
// for a line, from left to right: that is what these tests compare, as the characters the glyphs stand for.

const require = createRequire(import.meta.url);
const RLI = "\u2067";
const PDI = "\u2069";
const NBSP = "\u00a0";

/** The line as drawn, left to right: the characters of the glyphs the document's font lays out. */
function drawn(line: string): string {
  const run = pdfFonts().forDocument().regular.layout(layoutOrder(line));
  return run.glyphs.map((glyph) => String.fromCodePoint(...glyph.codePoints)).join("");
}

describe("the order right-to-left text is drawn in", () => {
  it("draws a Hebrew name right to left with its words in order and its space kept", () => {
    expect(layoutOrder("שלום עולם")).toBe(`${RLI}שלום${NBSP}עולם${PDI}`);
    expect(drawn("שלום עולם")).toBe("םלוע\u00a0םולש");
  });

  it("keeps Latin text and numbers left to right around and inside right-to-left text", () => {
    expect(drawn("Acme שלום 123 עולם Ltd")).toBe(`Acme םלוע${NBSP}123${NBSP}םולש Ltd`);
    expect(drawn("?? שלום Ōsaka")).toBe("?? םולש Ōsaka");
    // Arabic-Indic digits after Latin text: fontkit alone would have reversed them, taking them for Arabic.
    expect(drawn("Invoice ١٢٣")).toBe("Invoice ١٢٣");
  });

  it("mirrors brackets inside right-to-left text", () => {
    expect(drawn("שלום (עולם)")).toBe(`(םלוע)${NBSP}םולש`);
  });

  it("leaves text without right-to-left letters as it is", () => {
    for (const text of ["Łukasz Wójcik", "server-1 (10.0.0.1)", "Invoice ١٢٣", ""])
      expect(layoutOrder(text)).toBe(text);
  });

  it("joins Arabic letters as written: each takes its connected form", () => {
    const font = pdfFonts().forDocument().regular;
    const shaped = font.layout(layoutOrder("مرحبا")).glyphs.map((g) => g.id);
    const isolated = [..."مرحبا"].reverse().map((ch) => font.glyphForCodePoint(ch.codePointAt(0)!).id);
    expect(shaped).toHaveLength(5);
    expect(shaped).not.toEqual(isolated);
    // The same glyphs as fontkit's own layout of the word, on a font not made to follow pdf-bidi.ts.
    const plain = fontkit.create(
      readFileSync(require.resolve("dejavu-fonts-ttf/ttf/DejaVuSansCondensed.ttf")),
    );
    expect(shaped).toEqual((plain as fontkit.Font).layout("مرحبا").glyphs.map((g) => g.id));
  });
});

describe("right-to-left layout on any text (property)", () => {
  const pieces = [
    "שלום",
    "עולם",
    "مرحبا",
    "لا",
    "Acme",
    "Ltd",
    "123",
    "١٢٣",
    " ",
    " ",
    "(",
    ")",
    "[",
    "-",
    ".",
    ",",
    "\u200f",
  ];
  const text = fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((parts) => parts.join(""));
  /** A bracket's pair, for either of its two: layoutOrder may mirror one into the other. */
  const PAIR: Record<string, string> = { "(": "()", ")": "()", "[": "[]", "]": "[]" };
  const characters = (s: string) => [...s].map((ch) => PAIR[ch] ?? ch);

  it("keeps every character, only moved, mirrored or its space made a no-break space", () => {
    fc.assert(
      fc.property(text, (s) => {
        const laidOut = layoutOrder(s).replaceAll(RLI, "").replaceAll(PDI, "").replaceAll(NBSP, " ");
        expect(characters(laidOut).sort()).toEqual(characters(s).sort());
      }),
    );
  });

  it("draws nothing for its own marks: only the text's invisible marks become empty glyphs", () => {
    const font = pdfFonts().forDocument().regular;
    const space = font.glyphForCodePoint(0x20).id;
    fc.assert(
      fc.property(text, (s) => {
        // fontkit draws an invisible character (U+200F here, or a leaked RLI or PDI) as a space of no width.
        const run = font.layout(layoutOrder(s));
        const empty = run.glyphs.filter((g, i) => g.id === space && run.positions[i]!.xAdvance === 0);
        expect(empty).toHaveLength([...s].filter((ch) => ch === "\u200f").length);
      }),
    );
  });
});
