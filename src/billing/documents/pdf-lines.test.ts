import { describe, expect, it } from "vitest";
import { PRIMARY } from "./pdf-fonts.ts";
import { breakLines, fontRuns } from "./pdf-lines.ts";

// Lines tokenbill breaks itself (right-to-left text, fallback fonts), measured here by their length.

const byLength = (line: string) => line.length;

describe("breaking text into lines before it is reordered or split by font", () => {
  it("keeps the words in the order written, the first words on the first line", () => {
    expect(breakLines("אחת שתיים שלוש ארבע", 9, byLength)).toEqual(["אחת שתיים", "שלוש ארבע"]);
  });

  it("breaks a word wider than a line between its characters, filling each line", () => {
    expect(breakLines("א בבבבבבבבבב ג", 4, byLength)).toEqual(["א בב", "בבבב", "בבבב", "ג"]);
  });

  it("breaks Chinese and Japanese text between characters, where it has no spaces", () => {
    expect(breakLines("山田太郎さんの会社", 4, byLength)).toEqual(["山田太郎", "さんの会", "社"]);
    // A space between them is kept on its line.
    expect(breakLines("山田 太郎", 4, byLength)).toEqual(["山田 太", "郎"]);
  });

  it("breaks Thai between its words, which no spaces separate", () => {
    // ศูนย์ข้อมูล (data centre) กรุงเทพ (Bangkok): words of 5, 6 and 7 code units.
    expect(breakLines("ศูนย์ข้อมูลกรุงเทพ", 12, byLength)).toEqual(["ศูนย์ข้อมูล", "กรุงเทพ"]);
  });
});

describe("cutting a line into font runs", () => {
  // DejaVu has Latin and Hebrew; the fallback font 0 has Chinese.
  const fontFor = (cp: number) => (cp >= 0x4e00 && cp <= 0x9fff ? 0 : PRIMARY);

  it("puts each stretch in the font that has it, a space in the run it is in", () => {
    expect(fontRuns("Acme 山田 太郎 Ltd", fontFor)).toEqual([
      { font: PRIMARY, text: "Acme " },
      { font: 0, text: "山田 太郎 " },
      { font: PRIMARY, text: "Ltd" },
    ]);
  });

  it("keeps a right-to-left piece whole", () => {
    expect(fontRuns("山\u2067שלום\u00a0עולם\u2069", fontFor)).toEqual([
      { font: 0, text: "山" },
      { font: PRIMARY, text: "\u2067שלום\u00a0עולם\u2069" },
    ]);
  });
});
