import { describe, expect, it } from "vitest";
import { timeOrderedId } from "./time-ordered-id.ts";

describe("time-ordered ids", () => {
  it("keep the 24-hex-digit shape of the random ids they replace", () => {
    expect(timeOrderedId("pay")).toMatch(/^pay_[0-9a-f]{24}$/);
    expect(timeOrderedId("cn", 0)).toMatch(/^cn_000000000000[0-9a-f]{12}$/);
  });

  it("sort in the order they were made, a millisecond apart or more", () => {
    const start = Date.parse("2026-11-30T10:00:00Z");
    const ids = Array.from({ length: 1000 }, (_, i) => timeOrderedId("pay", start + i));
    expect([...ids].sort()).toEqual(ids);
    expect(timeOrderedId("pay", Date.parse("3000-01-01T00:00:00Z")) > ids.at(-1)!).toBe(true);
  });

  it("differ within one millisecond", () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => timeOrderedId("pay", 1_800_000_000_000)));
    expect(ids.size).toBe(10_000);
  });
});
