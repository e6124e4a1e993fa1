import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { USD } from "./fixtures/october-2026-invoice.ts";
import { canPrint, printableCurrency, toMetadata, toPrintable } from "./pdf-text.ts";

describe("text as the PDF's font draws it", () => {
  it("keeps names in Latin with any European accent, Greek, Cyrillic, Armenian and Georgian", () => {
    for (const name of [
      "Łukasz Wójcik",
      "Zażółć gęślą jaźń",
      "Őrség Kft.",
      "Şirket Ğüneş ı",
      "Nguyễn Văn Anh",
      "Иван Петров",
      "Ελληνική Εταιρεία",
      "Հայաստան",
      "საქართველო",
    ]) {
      expect(canPrint(name), name).toBe(true);
      expect(toPrintable(name)).toBe(name);
    }
  });

  it("shows what the font lacks as ?", () => {
    expect(toPrintable("Ōsaka 大阪")).toBe("Ōsaka ??");
    expect(toPrintable("🚀")).toBe("?");
    expect(toPrintable("ไทย")).toBe("???");
  });

  it("draws an Arabic ligature the font lacks as the letters and marks it stands for", () => {
    expect(canPrint("\ufdf2")).toBe(false);
    expect(toPrintable("\ufdf2")).toBe("\u0627\u0644\u0644\u0647");
    // A ligature of a space and two marks.
    expect(toPrintable("\ufc5e")).toBe(" \u064c\u0651");
  });

  it("keeps Hebrew and Arabic (pdf-bidi.ts orders them) but never an explicit direction mark", () => {
    expect(toPrintable("שלום")).toBe("שלום");
    expect(toPrintable("Acme مرحبا\u200f")).toBe("Acme مرحبا\u200f");
    // An override would make "Acme" read as "emcA"; an isolate would be taken for pdf-bidi.ts's own.
    expect(toPrintable("\u202eAcme\u202c \u2067x\u2069")).toBe("?Acme? ?x?");
  });

  it("keeps every character of the metadata, on one line, without direction marks", () => {
    expect(toMetadata("山田 שלום\u202e\nŌsaka\u0007")).toBe("山田 שלום Ōsaka ");
  });

  it("keeps a letter whose accent the font lacks as its base letter, and drops a lone mark", () => {
    // U+210A, a script small g, which DejaVu Sans Condensed does not draw; its compatibility form is "g".
    expect(canPrint("\u210a")).toBe(false);
    expect(toPrintable("\u210a")).toBe("g");
    expect(toPrintable("e\u0301")).toBe("é");
  });

  it("turns tabs and line breaks into spaces and keeps no-break spaces", () => {
    expect(toPrintable("a\tb\nc\u2003d")).toBe("a b c d");
    expect(toPrintable("1\u00a0234\u202f567")).toBe("1\u00a0234\u202f567");
  });

  it("always yields text the font draws (property)", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme" }), (s) => canPrint(toPrintable(s))));
  });

  it("keeps a currency whose symbols the font has and replaces one it lacks by the ISO code", () => {
    expect(printableCurrency(USD)).toBe(USD);
    const rupee = { ...USD, code: "INR", displayPrefix: "₹" };
    expect(printableCurrency(rupee)).toBe(rupee);
    const rouble = {
      ...USD,
      code: "RUB",
      displayPrefix: "",
      displaySuffix: " ₽",
      thousandsSeparator: "\u202f",
    };
    expect(printableCurrency(rouble)).toBe(rouble);
    expect(printableCurrency({ ...USD, code: "AZN", displayPrefix: "₼" })).toMatchObject({
      displayPrefix: "AZN ",
      displaySuffix: "",
    });
    expect(
      printableCurrency({
        ...USD,
        code: "GEL",
        displayPrefix: "",
        displaySuffix: " ₾",
        thousandsSeparator: "\t",
      }),
    ).toMatchObject({ displayPrefix: "", displaySuffix: " GEL", thousandsSeparator: " " });
  });
});
