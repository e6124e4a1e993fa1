import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ServiceError } from "../kernel/errors.ts";
import { MAX_TOKENS, parseTokenList, parseTokens } from "./tokens.ts";

describe("parseTokens", () => {
  it("accepts bigints, safe-integer numbers and digit strings", () => {
    expect(parseTokens(7n)).toBe(7n);
    expect(parseTokens(5000)).toBe(5000n);
    expect(parseTokens("20832")).toBe(20832n);
    expect(parseTokens("0")).toBe(0n);
    expect(parseTokens("9223372036854775807")).toBe(MAX_TOKENS);
  });

  it("rejects a fractional price with the SolusIO explanation", () => {
    expect(() => parseTokens(7.5)).toThrow(
      "tokens: must be a whole number of tokens (got 7.5); tokens are integers in SolusIO",
    );
    expect(() => parseTokens("7.5", "tokensPerHour")).toThrow(
      'tokensPerHour: must be a whole number of tokens (got "7.5"); tokens are integers in SolusIO',
    );
  });

  it.each([
    ["1e3", /whole number/],
    ["", /whole number/],
    [" 7", /whole number/],
    ["+7", /whole number/],
    ["0x10", /whole number/],
    [Number.NaN, /whole number of tokens \(got NaN\)/],
    [Number.POSITIVE_INFINITY, /whole number/],
    [-1, /must not be negative \(got -1\)/],
    ["-5", /must not be negative/],
    [-1n, /must not be negative/],
    [2 ** 60, /too large to be exact/],
    [MAX_TOKENS + 1n, /at most/],
    [null, /got null/],
    [true, /got true/],
    [{}, /got object/],
  ])("rejects %s", (input, message) => {
    expect(() => parseTokens(input)).toThrow(ServiceError);
    expect(() => parseTokens(input)).toThrow(message);
  });

  it("property: any non-negative bigint round-trips through its decimal string", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_TOKENS }), (n) => {
        expect(parseTokens(n.toString())).toBe(n);
        expect(parseTokens(n)).toBe(n);
      }),
    );
  });

  it("property: every non-integer finite number is rejected", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        fc.pre(!Number.isInteger(x));
        expect(() => parseTokens(x)).toThrow(/whole number/);
      }),
    );
  });
});

describe("parseTokenList", () => {
  it("reads the CLI form", () => {
    expect(parseTokenList("7,14,21,28")).toEqual([7n, 14n, 21n, 28n]);
    expect(parseTokenList(" 7, 14 ")).toEqual([7n, 14n]);
  });

  it("rejects empty lists, empty items and bad items, naming the field", () => {
    expect(() => parseTokenList("", "tph")).toThrow(/^tph: must list at least one/);
    expect(() => parseTokenList("7,,14", "tph")).toThrow(/^tph: item 2 is empty/);
    expect(() => parseTokenList("7,7.5", "tph")).toThrow(
      /^tph: must be a whole number of tokens \(got "7.5"\)/,
    );
  });
});
