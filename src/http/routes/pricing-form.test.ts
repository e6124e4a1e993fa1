import { parse } from "node:querystring";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePricingFields } from "./pricing-form.ts";

/** What querystring.parse gives for the three fields the endpoint reads. */
const reference = (text: string) => {
  const all = parse(text, "&", "=", { maxKeys: 0 });
  return { token: all["token"], action: all["action"], userid: all["userid"] };
};

describe("parsePricingFields", () => {
  it("gives what querystring.parse gives for token, action and userid, on SolusIO's body and edge cases", () => {
    for (const text of [
      "token=t&action=GetTokenPricing&userid=17",
      "",
      "&",
      "=",
      "=x",
      "token",
      "token=",
      "token=b=c",
      "&&userid=1&&",
      "userid=1&userid=2&userid=3",
      "token&=&action",
      "tokens=1&xtoken=2&toke=3&userid2=4",
      "__proto__=1&constructor=2&token=t",
      "token=a%20b&userid=1+2",
      "%%%&&&===",
    ]) {
      expect(parsePricingFields(text), text).toStrictEqual(reference(text));
    }
  });

  it("gives what querystring.parse gives for them on random bodies", () => {
    const piece = fc.constantFrom("a", "token", "action", "userid", "=", "&", "%", "+", "x", "%41", "é", "");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const text = pieces.join("");
        expect(parsePricingFields(text)).toStrictEqual(reference(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("returns one shape whatever the body holds: the three fields, nothing else", () => {
    expect(Object.keys(parsePricingFields("z=1&token=t&a=2"))).toEqual(["token", "action", "userid"]);
    expect(Object.keys(parsePricingFields("z=%41"))).toEqual(["token", "action", "userid"]);
  });
});
