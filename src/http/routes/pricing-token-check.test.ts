import { describe, expect, it } from "vitest";
import { tokenCheck } from "./pricing-token-check.ts";

describe("tokenCheck", () => {
  it("accepts exactly the token, and nothing shorter, longer or padded", () => {
    const check = tokenCheck("s3cret-pricing-token");
    expect(check("s3cret-pricing-token")).toBe(true);
    expect(check("s3cret-pricing-token")).toBe(true); // the scratch buffer is reused
    for (const wrong of [
      "",
      "s3cret-pricing-toke",
      "s3cret-pricing-tokem",
      "s3cret-pricing-token ",
      "s3cret-pricing-token\0",
      "S3cret-pricing-token",
      "x".repeat(257),
      "s3cret-pricing-token".padEnd(256, "\0"),
    ])
      expect(check(wrong), JSON.stringify(wrong)).toBe(false);
    for (const notText of [undefined, null, 1, ["s3cret-pricing-token"], { token: "s3cret-pricing-token" }])
      expect(check(notText)).toBe(false);
    // A long wrong value leaves no bytes behind that would make a shorter one match.
    expect(check("s3cret-pricing-tokenXXXX")).toBe(false);
    expect(check("s3cret-pricing-token")).toBe(true);
  });

  it("compares non-ASCII tokens by their UTF-8 bytes", () => {
    const check = tokenCheck("clé-ü-🔑");
    expect(check("clé-ü-🔑")).toBe(true);
    expect(check("cle-u-🔑")).toBe(false);
  });

  it("checks a token longer than the padded buffer by digest", () => {
    const long = "k".repeat(300);
    const check = tokenCheck(long);
    expect(check(long)).toBe(true);
    expect(check("k".repeat(299))).toBe(false);
    expect(check(`${long}k`)).toBe(false);
  });
});
