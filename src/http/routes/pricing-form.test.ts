import { parse } from "node:querystring";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseFormBody } from "./pricing-form.ts";

const reference = (text: string) => ({ ...parse(text, "&", "=", { maxKeys: 0 }) });

describe("parseFormBody", () => {
  it("gives what querystring.parse gives, on SolusIO's body and on edge cases", () => {
    for (const text of [
      "token=t&action=GetTokenPricing&userid=17",
      "",
      "&",
      "=",
      "=x",
      "a",
      "a=",
      "a=b=c",
      "&&a=1&&",
      "a=1&a=2&a=3",
      "a&=&b",
      "__proto__=1&constructor=2",
      "token=a%20b&userid=1+2",
      "%%%&&&===",
    ]) {
      expect({ ...parseFormBody(text) }, text).toEqual(reference(text));
      expect(Object.getPrototypeOf(parseFormBody(text)), text).toBe(null);
    }
  });

  it("gives what querystring.parse gives on random bodies", () => {
    const piece = fc.constantFrom("a", "token", "userid", "=", "&", "%", "+", "x", "%41", "é", "");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const text = pieces.join("");
        expect({ ...parseFormBody(text) }).toEqual(reference(text));
      }),
      { numRuns: 2000 },
    );
  });
});
