import { describe, expect, it } from "vitest";
import { asciiJson, jsonText } from "./json.ts";

describe("asciiJson", () => {
  const samples = [
    { prefix: "£", suffix: " €", name: 'Zoë\'s "quoted" \\ back\u2028slash' },
    { emoji: "price 😀 today", cjk: "価格", control: "\u0000\u001f\u007f\u0080" },
    { plain: "ascii only", n: 1.5, list: [1, "two", null, true] },
  ];

  it("gives the same value to a JSON parser, in ASCII characters only", () => {
    for (const value of samples) {
      const text = asciiJson(JSON.stringify(value));
      expect(JSON.parse(text)).toEqual(value);
      expect([...text].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);
      expect(Buffer.byteLength(text)).toBe(text.length);
    }
  });

  it("writes a character beyond ASCII as its \\u escape, and one beyond the BMP as its two halves", () => {
    expect(asciiJson(JSON.stringify({ p: "£", e: "€" }))).toBe('{"p":"\\u00a3","e":"\\u20ac"}');
    expect(asciiJson(JSON.stringify("😀"))).toBe('"\\ud83d\\ude00"');
  });

  it("leaves ASCII text as it is", () => {
    const text = jsonText({ id: 12n, big: 2n ** 60n, s: "x" });
    expect(asciiJson(text)).toBe(text);
  });
});
