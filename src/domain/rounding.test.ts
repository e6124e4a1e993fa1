import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { divRound, pow10 } from "./rounding.ts";

describe("pow10", () => {
  it("computes powers of ten and rejects bad scales", () => {
    expect(pow10(0)).toBe(1n);
    expect(pow10(12)).toBe(1_000_000_000_000n);
    expect(pow10(100)).toBe(10n ** 100n);
    expect(() => pow10(-1)).toThrow(/^scale:/);
    expect(() => pow10(1.5)).toThrow(/^scale:/);
  });
});

describe("divRound", () => {
  const arbN = fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n });
  const arbD = fc.bigInt({ min: 1n, max: 10n ** 6n });

  it("floor, ceil and trunc bracket the exact quotient", () => {
    fc.assert(
      fc.property(arbN, arbD, (n, d) => {
        const f = divRound(n, d, "floor");
        const c = divRound(n, d, "ceil");
        expect(f * d <= n && n < (f + 1n) * d).toBe(true);
        expect((c - 1n) * d < n && n <= c * d).toBe(true);
        expect(divRound(n, d, "trunc")).toBe(n / d);
      }),
    );
  });

  it("half modes land within half a unit, and differ only on exact ties", () => {
    fc.assert(
      fc.property(arbN, arbD, (n, d) => {
        const a = divRound(n, d, "half_away_from_zero");
        const e = divRound(n, d, "half_even");
        const gap = (x: bigint) => (n - x * d < 0n ? x * d - n : n - x * d);
        expect(2n * gap(a) <= d && 2n * gap(e) <= d).toBe(true);
        if (a !== e) expect(2n * gap(a)).toBe(d);
        if (2n * gap(e) === d) expect(e % 2n).toBe(0n);
      }),
    );
  });

  it("rounds the classic ties", () => {
    expect(divRound(25n, 10n, "half_away_from_zero")).toBe(3n);
    expect(divRound(25n, 10n, "half_even")).toBe(2n);
    expect(divRound(-25n, 10n, "half_away_from_zero")).toBe(-3n);
    expect(divRound(-35n, 10n, "half_even")).toBe(-4n);
  });
});
