import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { digitsPattern } from "./digits-pattern.ts";

describe("digitsPattern", () => {
  it("matches exactly the numbers from min to max, each spelled once", () => {
    const cases = [
      { min: 1n, max: 10n ** 15n },
      { min: 0n, max: 2n ** 63n - 1n },
      { min: 1n, max: 9n },
      { min: 0n, max: 407n },
    ] as const;
    for (const { min, max } of cases) {
      const pattern = new RegExp(digitsPattern({ min, max }));
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: max * 3n }), (n) => {
          expect(pattern.test(n.toString()), `${n} in ${min}..${max}`).toBe(n >= min && n <= max);
        }),
      );
      for (const n of [min, max, max + 1n, 0n]) expect(pattern.test(n.toString())).toBe(n >= min && n <= max);
      expect(pattern.test(`0${max}`)).toBe(false);
      expect(pattern.test("")).toBe(false);
      expect(pattern.test(`-${max}`)).toBe(false);
    }
  });

  it("takes leading zeros when asked", () => {
    const pattern = new RegExp(digitsPattern({ min: 0n, max: 2n ** 63n - 1n, leadingZeros: true }));
    expect(["007", "0", "000", `00${2n ** 63n - 1n}`].map((s) => pattern.test(s))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(pattern.test(`${2n ** 63n}`)).toBe(false);
  });
});
