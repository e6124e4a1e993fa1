import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../../../test/helpers/test-temp-dir.ts";
import { ConfigError } from "../../config.ts";
import { PRIMARY, pdfFonts } from "./pdf-fonts.ts";
import { HAS_WQY_MICROHEI, WQY_MICROHEI, WQY_SKIP_REASON } from "./testing/fallback-font.ts";

// DejaVu and the fallback fonts of PDF_FALLBACK_FONTS: which font draws which character.

const WQY = WQY_MICROHEI;
const HAS_WQY = HAS_WQY_MICROHEI;
const SKIP_REASON = WQY_SKIP_REASON;
const cp = (ch: string) => ch.codePointAt(0)!;

describe("the fonts of a document", () => {
  // pdfkit writes a glyph's characters, as fontkit first recorded them, into the text layer: a document's
  // glyphs are its own (pdf-text-layer.test.ts reads the PDFs back).
  it("gives each document glyphs of its own, with the characters it drew them for", () => {
    const fonts = pdfFonts();
    const [first, next] = [fonts.forDocument(), fonts.forDocument()];
    for (const cut of ["regular", "bold"] as const) {
      expect(next[cut]).not.toBe(first[cut]);
      // Embedding "Ő" asks fontkit for the "O" it is built from, with no character.
      const subset = first[cut].createSubset();
      subset.includeGlyph(first[cut].layout("Ő").glyphs[0]!);
      subset.encode();
      const o = next[cut].layout("O").glyphs[0]!;
      expect(o.codePoints).toEqual([cp("O")]);
      expect(o).not.toBe(first[cut].glyphForCodePoint(cp("O")));
    }
  });

  it("draws with DejaVu alone unless fallback fonts are configured", () => {
    const fonts = pdfFonts();
    expect(fonts.fallbackCount).toBe(0);
    expect(fonts.forDocument().fallbacks).toEqual([]);
    expect(fonts.fontFor(cp("Ł"))).toBe(PRIMARY);
    expect(fonts.fontFor(cp("山"))).toBeUndefined();
    expect(fonts.covers(cp("山"))).toBe(false);
  });

  it.skipIf(!HAS_WQY)(
    `draws what DejaVu lacks with the first fallback font that has it${SKIP_REASON}`,
    () => {
      const fonts = pdfFonts([WQY]);
      expect(fonts.fontFor(cp("A"))).toBe(PRIMARY);
      expect(fonts.fontFor(cp("ש"))).toBe(PRIMARY);
      expect(fonts.fontFor(cp("山"))).toBe(0);
      expect(fonts.fontFor(cp("한"))).toBe(0);
      expect(fonts.fontFor(cp("ไ"))).toBeUndefined(); // Thai: in neither
      // Read and parsed once per list of files.
      expect(pdfFonts([WQY])).toBe(fonts);
      expect(fonts.fallbackCount).toBe(1);
      expect(fonts.forDocument().fallbacks[0]!.postscriptName).toBe("WenQuanYiMicroHei");
      expect(pdfFonts([`${WQY}#WenQuanYiMicroHeiMono`]).forDocument().fallbacks[0]!.postscriptName).toBe(
        "WenQuanYiMicroHeiMono",
      );
    },
  );

  it.skipIf(!HAS_WQY)(
    `refuses a file that is not a font, or a face the collection lacks${SKIP_REASON}`,
    () => {
      const notFont = join(testTempDir("tokenbill-fonts-"), "notes.ttf");
      writeFileSync(notFont, "not a font");
      expect(() => pdfFonts([notFont])).toThrow(ConfigError);
      expect(() => pdfFonts([notFont])).toThrow(
        `PDF_FALLBACK_FONTS: ${notFont} is not a font tokenbill can read`,
      );
      expect(() => pdfFonts([`${WQY}#NoSuchFace`])).toThrow(
        `PDF_FALLBACK_FONTS: ${WQY} has no face named NoSuchFace`,
      );
    },
  );
});
