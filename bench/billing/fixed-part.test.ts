import { describe, expect, it } from "vitest";
import { fixedPart } from "./fixed-part.ts";

describe("a billing run's fixed part, from the two smallest sizes", () => {
  it("splits the steady run of 2026-12-03 21:42 into about 0.58 s and 211.5 µs a customer", () => {
    // The means of that run's measurements: 10,000 in 2.684 and 2.698 s, 100,000 in 21.66 and 21.80 s.
    const result = fixedPart([
      { customers: 100_000, runMs: 21_730 },
      { customers: 10_000, runMs: 2_691 },
      { customers: 1_000_000, runMs: 213_570 },
    ]);
    expect(result?.marginalUs).toBeCloseTo(211.54, 2);
    expect(result?.fixedMs).toBeCloseTo(575.6, 1);
  });

  it("finds no fixed part when the cost a customer is the same at both sizes", () => {
    expect(
      fixedPart([
        { customers: 10_000, runMs: 2_000 },
        { customers: 100_000, runMs: 20_000 },
      ]),
    ).toEqual({ fixedMs: 0, marginalUs: 200 });
  });

  it("tells nothing from one size", () => {
    expect(fixedPart([{ customers: 10_000, runMs: 2_000 }])).toBeUndefined();
    expect(
      fixedPart([
        { customers: 10_000, runMs: 2_000 },
        { customers: 10_000, runMs: 2_100 },
      ]),
    ).toBeUndefined();
  });
});
