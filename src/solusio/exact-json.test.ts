import { describe, expect, it } from "vitest";
import { parseJsonExact } from "./exact-json.ts";

describe("parseJsonExact", () => {
  it("keeps an integer beyond 2^53 exact, as its decimal string", () => {
    expect(parseJsonExact('{"tokens":14880000000000744,"hours":744}')).toEqual({
      tokens: "14880000000000744",
      hours: 744,
    });
    expect(parseJsonExact("[9007199254740991,9007199254740992,-9007199254740993]")).toEqual([
      9007199254740991,
      "9007199254740992",
      "-9007199254740993",
    ]);
  });

  it("leaves strings, fractions and exponents alone", () => {
    const text = '{"name":"web \\"12345678901234567890\\"","p":1234567890123456.5,"e":1e400,"x":"a\\\\"}';
    expect(parseJsonExact(text)).toEqual(JSON.parse(text));
  });

  it("refuses what JSON.parse refuses", () => {
    expect(() => parseJsonExact("{12345678901234567890}")).toThrow(SyntaxError);
  });

  it("keeps exponent and fraction forms as the numbers JSON.parse makes of them", () => {
    const text = "[12345678901234567890e0, 1.00000000000000000001, -0, 1e400]";
    expect(parseJsonExact(text)).toEqual(JSON.parse(text));
  });

  it("refuses one key given two values, where JSON.parse would silently keep the second", () => {
    // A long figure with two different values is no answer to bill from: the caller treats it as unreadable.
    expect(() => parseJsonExact('{"tokens":1,"tokens":2,"n":12345678901234567890}')).toThrow(SyntaxError);
  });
});
