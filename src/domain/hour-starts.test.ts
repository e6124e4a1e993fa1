import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ceilDiv, HOUR_MS, hourStartsIn } from "./hour-starts.ts";

const H = HOUR_MS;

describe("hourStartsIn", () => {
  it("counts starts in the half-open interval: `from` included, `to` excluded", () => {
    expect(hourStartsIn(0n, 0n, H)).toBe(1n);
    expect(hourStartsIn(0n, 0n, H + 1n)).toBe(2n);
    expect(hourStartsIn(0n, 1n, H)).toBe(0n);
    expect(hourStartsIn(0n, H, 2n * H)).toBe(1n);
  });

  it("ignores the time before the origin and empty or inverted intervals", () => {
    expect(hourStartsIn(10n * H, 0n, 10n * H + 1n)).toBe(1n);
    expect(hourStartsIn(10n * H, 0n, 10n * H)).toBe(0n);
    expect(hourStartsIn(0n, 5n * H, 3n * H)).toBe(0n);
  });

  it("property: equals a count by enumeration", () => {
    const ms = fc.bigInt({ min: -50n * H, max: 50n * H });
    fc.assert(
      fc.property(ms, ms, ms, (origin, from, to) => {
        let n = 0n;
        for (let t = origin; t < to; t += H) if (t >= from) n += 1n;
        expect(hourStartsIn(origin, from, to)).toBe(n);
      }),
    );
  });
});

describe("ceilDiv", () => {
  it("rounds toward +∞ for either sign", () => {
    expect([ceilDiv(7n, 2n), ceilDiv(-7n, 2n), ceilDiv(6n, 2n), ceilDiv(-6n, 2n), ceilDiv(0n, 2n)]).toEqual([
      4n,
      -3n,
      3n,
      -3n,
      0n,
    ]);
  });
});
