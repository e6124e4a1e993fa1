import { describe, expect, it } from "vitest";
import { id, wholeNumber } from "./schemas.ts";

// Ids and counts in paths and query strings: one spelling for each number.

describe("wholeNumber", () => {
  const percent = wholeNumber({ min: 0n, max: 100n, message: "must be from 0 to 100" });

  it("takes plain decimal digits, JSON integers and bigints within its bounds", () => {
    expect(["0", "7", "100"].map((v) => percent.parse(v))).toEqual([0n, 7n, 100n]);
    expect(percent.parse(42)).toBe(42n);
    expect(percent.parse(42n)).toBe(42n);
    expect(id.parse("9223372036854775807")).toBe(2n ** 63n - 1n);
  });

  it("refuses every other spelling of a number, leading zeros included", () => {
    for (const spelling of ["06", "00", "007", "0x10", "1e2", " 5", "5 ", "+5", "-0", "", "1.0", "١٢"]) {
      expect(percent.safeParse(spelling).success, spelling).toBe(false);
    }
    expect(id.safeParse("01").error?.issues[0]?.message).toBe("must be a positive whole number");
  });

  it("refuses numbers out of its bounds", () => {
    expect(percent.safeParse("101").success).toBe(false);
    expect(id.safeParse("0").success).toBe(false);
    expect(id.safeParse("9223372036854775808").success).toBe(false);
  });
});
