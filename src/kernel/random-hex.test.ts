import { describe, expect, it } from "vitest";
import { randomHex } from "./random-hex.ts";

describe("randomHex", () => {
  it("gives 2 × n lowercase hex digits", () => {
    for (const n of [1, 6, 8, 64]) expect(randomHex(n)).toMatch(new RegExp(`^[0-9a-f]{${2 * n}}$`));
  });

  it("hands out no byte twice across refills of the pool", () => {
    // 20,000 ids of 8 bytes span 39 fills of the 4 KiB pool; a byte handed out twice, or a pool not refilled,
    // would repeat ids (the chance of a repeat among random 64-bit ids here is about 1e-11).
    const ids = new Set(Array.from({ length: 20_000 }, () => randomHex(8)));
    expect(ids.size).toBe(20_000);
  });

  it("spreads its digits evenly", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) for (const d of randomHex(8)) counts.set(d, (counts.get(d) ?? 0) + 1);
    // 64,000 digits, 4,000 expected of each; a stuck or biased source would leave some far off.
    expect(counts.size).toBe(16);
    for (const n of counts.values()) expect(Math.abs(n - 4000)).toBeLessThan(400);
  });

  it("refuses sizes it cannot give", () => {
    expect(() => randomHex(0)).toThrow(RangeError);
    expect(() => randomHex(65)).toThrow(RangeError);
    expect(() => randomHex(1.5)).toThrow(RangeError);
  });
});
