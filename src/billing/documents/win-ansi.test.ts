import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { USD } from "./fixtures/october-2026-invoice.ts";
import { canEncodeWinAnsi, toWinAnsi, winAnsiCurrency } from "./win-ansi.ts";

describe("WinAnsi text for pdfkit's standard fonts", () => {
  it("accepts the currency symbols Windows-1252 has", () => {
    for (const s of ["$", "€", "£", "¥", "¢", "ƒ", "kr", "CHF", "R$", "zł"]) {
      expect(canEncodeWinAnsi(s), s).toBe(s !== "zł");
    }
  });

  it("rejects symbols it lacks", () => {
    for (const s of ["₹", "₽", "₺", "₩", "₪", "₫", "₴", "\u202f", "€\u0301"])
      expect(canEncodeWinAnsi(s), s).toBe(false);
  });

  it("drops accents the font lacks and marks anything else as missing", () => {
    expect(toWinAnsi("Łódź")).toBe("?ódz");
    expect(toWinAnsi("Zoë Müller")).toBe("Zoë Müller");
    expect(toWinAnsi("Ōsaka 大阪")).toBe("Osaka ??");
    expect(toWinAnsi("a\u202fb\tc")).toBe("a b c");
    expect(toWinAnsi("🚀")).toBe("?");
    expect(toWinAnsi("e\u0301\u0302")).toBe("é");
  });

  it("always yields encodable text (property)", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme" }), (s) => canEncodeWinAnsi(toWinAnsi(s))));
  });

  it("replaces a symbol it cannot show by the ISO code", () => {
    expect(winAnsiCurrency(USD)).toBe(USD);
    expect(winAnsiCurrency({ ...USD, code: "INR", displayPrefix: "₹" })).toMatchObject({
      displayPrefix: "INR ",
      displaySuffix: "",
    });
    expect(
      winAnsiCurrency({
        ...USD,
        code: "RUB",
        displayPrefix: "",
        displaySuffix: " ₽",
        thousandsSeparator: "\u202f",
      }),
    ).toMatchObject({ displayPrefix: "", displaySuffix: " RUB", thousandsSeparator: " " });
  });
});
