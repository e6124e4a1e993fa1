import { describe, expect, it } from "vitest";
import { additionalIpsCharge, hoursInPeriod, periodCharge } from "../billing/charges.ts";

// The emulator's own billing-rules §2 (billing/charges.ts), on the rule's worked examples. usage.test.ts
// reproduces them through the usage endpoint; test/emulator-charges.test.ts checks it against tokenbill's.

const at = (iso: string) => new Date(iso);
const OCT = { start: at("2026-10-01T00:00:00Z"), end: at("2026-11-01T00:00:00Z") };
const NOV = { start: at("2026-11-01T00:00:00Z"), end: at("2026-12-01T00:00:00Z") };
const plan = (perHour: bigint, perMonth: bigint) => ({ perHour, perMonth });

describe("the emulator's §2", () => {
  it.each([
    ["5 minutes", plan(7n, 5000n), 1n, { tokens: 7n, charge: "hourly" }],
    ["700 h", plan(7n, 5000n), 700n, { tokens: 4900n, charge: "hourly" }],
    ["730 h", plan(7n, 5000n), 730n, { tokens: 5000n, charge: "monthly_cap" }],
    ["744 h, plan 7 / 0", plan(7n, 0n), 744n, { tokens: 5208n, charge: "hourly" }],
    ["3 h, plan 0 / 5000", plan(0n, 5000n), 3n, { tokens: 5000n, charge: "monthly_fixed" }],
    ["a free plan", plan(0n, 0n), 744n, { tokens: 0n, charge: "free" }],
    ["hours costing exactly the monthly price", plan(10n, 5000n), 500n, { tokens: 5000n, charge: "hourly" }],
  ] as const)("%s", (_name, prices, hours, expected) => {
    expect(periodCharge(prices, hours)).toEqual(expected);
  });

  it("counts every begun hour once, in the period where it begins (created 2026-10-31T22:30Z, deleted 01:10Z)", () => {
    const lifetime = { created: at("2026-10-31T22:30:00Z"), ended: at("2026-11-01T01:10:00Z") };
    expect([hoursInPeriod(lifetime, OCT), hoursInPeriod(lifetime, NOV)]).toEqual([2n, 1n]);
    const fiveMinutes = { created: at("2026-10-05T10:00:00Z"), ended: at("2026-10-05T10:05:00Z") };
    expect(hoursInPeriod(fiveMinutes, OCT)).toBe(1n);
    const exactly700 = { created: at("2026-10-01T00:00:00Z"), ended: at("2026-10-30T04:00:00Z") };
    expect(hoursInPeriod(exactly700, OCT)).toBe(700n);
  });

  it("gives no hours to a lifetime outside the period or ending before it starts", () => {
    const september = { created: at("2026-09-01T00:00:00Z"), ended: at("2026-10-01T00:00:00Z") };
    expect(hoursInPeriod(september, OCT)).toBe(0n);
    const backwards = { created: at("2026-10-10T00:00:00Z"), ended: at("2026-10-09T00:00:00Z") };
    expect(hoursInPeriod(backwards, OCT)).toBe(0n);
  });

  it("charges each additional IP by the same table with the IP prices", () => {
    expect(additionalIpsCharge(plan(1n, 500n), 744n, 2n)).toEqual({ tokens: 1000n, charge: "monthly_cap" });
    expect(additionalIpsCharge(plan(1n, 500n), 10n, 0n)).toEqual({ tokens: 0n, charge: "hourly" });
  });
});
