import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type RecordedBounds, tiledPeriodBounds } from "./period-tiling.ts";
import { periodBounds } from "./periods.ts";

// Billing periods tile time whatever BILLING_TIME_ZONE each run was started under (billing-rules §2, §5).

const ZONES = [
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "Asia/Kolkata",
  "Pacific/Kiritimati",
  "Pacific/Pago_Pago",
];
const MONTHS = ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03"];

/** Runs months in the order given, each in its own zone, recording the first run's bounds as billing_run does. */
function bill(runs: readonly { month: number; zone: string }[]): Map<string, RecordedBounds> {
  const recorded = new Map<string, RecordedBounds>();
  for (const { month, zone } of runs) {
    const period = MONTHS[month]!;
    const bounds = tiledPeriodBounds(period, zone, {
      own: recorded.get(period),
      previous: recorded.get(MONTHS[month - 1] ?? ""),
      next: recorded.get(MONTHS[month + 1] ?? ""),
    });
    const own = recorded.get(period);
    if (own) expect([bounds.start, bounds.end]).toEqual([own.start, own.end]);
    else recorded.set(period, { start: bounds.start, end: bounds.end, timeZone: zone });
  }
  return recorded;
}

describe("tiledPeriodBounds", () => {
  it("whatever the zones and the order, billed neighbours meet exactly and every period is a month long or so", () => {
    const run = fc.record({
      month: fc.integer({ min: 0, max: MONTHS.length - 1 }),
      zone: fc.constantFrom(...ZONES),
    });
    fc.assert(
      fc.property(fc.array(run, { minLength: 1, maxLength: 20 }), (runs) => {
        const recorded = bill(runs);
        MONTHS.forEach((period, i) => {
          const here = recorded.get(period);
          const next = recorded.get(MONTHS[i + 1] ?? "");
          if (here && next) expect(here.end).toEqual(next.start);
          if (here) {
            const days = (here.end.getTime() - here.start.getTime()) / 86_400_000;
            expect(days).toBeGreaterThan(26);
            expect(days).toBeLessThan(33);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it("UTC's October, then November in Berlin: November starts at UTC's midnight and says why", () => {
    const october = { ...periodBounds("2026-10", "UTC"), timeZone: "UTC" };
    const november = tiledPeriodBounds("2026-11", "Europe/Berlin", { previous: october });
    expect(november).toMatchObject({
      start: new Date("2026-11-01T00:00:00Z"),
      end: new Date("2026-11-30T23:00:00Z"),
    });
    expect(november.warning).toContain("where the month before ended when it was billed in UTC");
  });

  it("a month billed after the month following it ends where that one started", () => {
    const december = { ...periodBounds("2026-12", "America/New_York"), timeZone: "America/New_York" };
    const november = tiledPeriodBounds("2026-11", "UTC", { next: december });
    expect(november.end).toEqual(new Date("2026-12-01T05:00:00Z"));
    expect(november.warning).toContain(
      "where the month after started when it was billed in America/New_York",
    );
  });

  it("no billed neighbour and the zone unchanged: the calendar month, no warning", () => {
    const bounds = tiledPeriodBounds("2026-10", "Europe/Berlin", {});
    expect(bounds).toEqual({ ...periodBounds("2026-10", "Europe/Berlin"), warning: null });
    const rerun = tiledPeriodBounds("2026-10", "Europe/Berlin", {
      own: { ...bounds, timeZone: "Europe/Berlin" },
    });
    expect(rerun.warning).toBeNull();
  });
});
