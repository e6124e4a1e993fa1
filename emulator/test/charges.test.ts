import { describe, expect, it } from "vitest";
import { backupTokens } from "../billing/backup-charge.ts";
import { additionalIpsCharge, hoursInPeriod, hourStartsIn, periodCharge } from "../billing/charges.ts";

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

  it("charges each additional IP by the same table with the IP prices, capped per IP", () => {
    // billing-rules §2.2: IP #1 all of October, IP #2 the last 10 h → 500 + 10.
    expect(additionalIpsCharge(plan(1n, 500n), [744n, 10n], 744n)).toMatchObject({
      tokens: 510n,
      charge: "monthly_cap",
    });
    expect(additionalIpsCharge(plan(1n, 500n), [10n, 20n], 744n)).toMatchObject({
      tokens: 30n,
      charge: "hourly",
    });
    // No IP-hour: nothing to pay, and the kind the plan's IP prices give the server's hours.
    expect(additionalIpsCharge(plan(1n, 500n), [], 744n)).toMatchObject({
      tokens: 0n,
      charge: "monthly_cap",
    });
    expect(additionalIpsCharge(plan(1n, 500n), [], 10n)).toMatchObject({ tokens: 0n, charge: "hourly" });
  });

  it("counts hour starts in a window, half-open: one starting exactly at its end is not in it (§2.1)", () => {
    const t = BigInt(at("2026-10-01T00:00:00Z").getTime());
    const h = 3_600_000n;
    expect(hourStartsIn(t, t, t + 700n * h)).toBe(700n);
    expect(hourStartsIn(t, t, t + 700n * h + 1n)).toBe(701n);
    // A resize at 10:30 on a server created at 00:00: hours 00…10 before it, 11 and 12 after (deleted 12:10).
    const resize = t + 10n * h + 30n * 60_000n;
    const deleted = t + 12n * h + 10n * 60_000n;
    expect([hourStartsIn(t, t, resize), hourStartsIn(t, resize, deleted)]).toEqual([11n, 2n]);
    expect(hourStartsIn(t, t + 5n * h, t + 2n * h)).toBe(0n);
  });

  it.each([
    ["backups all month at 10 % of 5000", 5000n, 10, 744n, 744n, 500n],
    ["backups 100 of 300 h at 10 % of 2100", 2100n, 10, 100n, 300n, 70n],
    ["a fractional percent, rounded half away from zero (0.5 → 1)", 10n, 2.5, 2n, 1n, 1n],
    ["just under one half stays down", 7n, 7, 1n, 1n, 0n],
    ["no backup hour", 5000n, 10, 0n, 744n, 0n],
  ] as const)("%s", (_name, tokens, percent, backupHours, hours, expected) => {
    expect(backupTokens(tokens, percent, backupHours, hours)).toBe(expected);
  });
});
