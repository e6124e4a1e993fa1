import { describe, expect, it } from "vitest";
import { tokenCheck } from "./pricing-token-check.ts";

describe("tokenCheck", () => {
  it("accepts exactly the token, and nothing shorter, longer or padded", () => {
    const check = tokenCheck("s3cret-pricing-token");
    expect(check("s3cret-pricing-token")).toBe(true);
    expect(check("s3cret-pricing-token")).toBe(true); // asked again, the same answer
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
    // A longer wrong value leaves nothing behind that would make a shorter one match.
    expect(check("s3cret-pricing-tokenXXXX")).toBe(false);
    expect(check("s3cret-pricing-token")).toBe(true);
  });

  it("compares non-ASCII tokens exactly, a character beyond the BMP by both its halves", () => {
    const check = tokenCheck("clé-ü-🔑");
    expect(check("clé-ü-🔑")).toBe(true);
    expect(check("cle-u-🔑")).toBe(false);
    expect(check("clé-ü-🔒")).toBe(false);
    expect(check("clé-ü-\ud83d")).toBe(false);
  });

  it("accepts a token of PADDED − 1 units and refuses every value of other lengths against it", () => {
    const token = "t".repeat(255);
    const check = tokenCheck(token);
    expect(check(token)).toBe(true);
    expect(check("t".repeat(254))).toBe(false);
    expect(check("t".repeat(256))).toBe(false);
  });

  it("checks a token longer than the padded buffer by digest", () => {
    const long = "k".repeat(300);
    const check = tokenCheck(long);
    expect(check(long)).toBe(true);
    expect(check("k".repeat(299))).toBe(false);
    expect(check(`${long}k`)).toBe(false);
  });
});
