import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  NOTHING_RECORDED,
  type RecordedBounds,
  tiledBoundsOf,
  tiledMonthSoFar,
  tiledPeriodAt,
  tiledPeriodBounds,
} from "./period-tiling.ts";
import { monthSoFar, periodAfter, periodBefore, periodBounds } from "./periods.ts";

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

describe("tiledPeriodAt: the period in progress, as its run will bound it", () => {
  const berlinOctober = { ...periodBounds("2026-10", "Europe/Berlin"), timeZone: "Europe/Berlin" };
  const newYorkOctober = { ...periodBounds("2026-10", "America/New_York"), timeZone: "America/New_York" };
  const only = (period: string, bounds: RecordedBounds) => (p: string) => (p === period ? bounds : undefined);

  it("October billed in Europe/Berlin, then America/New_York: November began at Berlin's midnight", () => {
    // 11-01T02:00Z is still October 31 in New York, but October's run ended at 10-31T23:00Z.
    const recorded = only("2026-10", berlinOctober);
    const now = new Date("2026-11-01T02:30:00Z");
    expect(tiledPeriodAt(now, "America/New_York", recorded)).toEqual({
      period: "2026-11",
      start: new Date("2026-10-31T23:00:00Z"),
      end: new Date("2026-12-01T05:00:00Z"),
    });
    expect(tiledMonthSoFar(now, "America/New_York", recorded)).toEqual({
      period: "2026-11",
      start: new Date("2026-10-31T23:00:00Z"),
      end: new Date("2026-11-01T02:00:00Z"),
    });
    // The calendar's month so far was New York's October, every hour of it billed already.
    expect(monthSoFar(now, "America/New_York").start).toEqual(new Date("2026-10-01T04:00:00Z"));
  });

  it("October billed in America/New_York, then Europe/Berlin: November begins at New York's midnight", () => {
    const recorded = only("2026-10", newYorkOctober);
    // Berlin's November began at 10-31T23:00Z; its first 5 hours are October's, billed.
    expect(tiledMonthSoFar(new Date("2026-11-01T10:20:00Z"), "Europe/Berlin", recorded)).toEqual({
      period: "2026-11",
      start: new Date("2026-11-01T04:00:00Z"),
      end: new Date("2026-11-01T10:00:00Z"),
    });
    // Before New York's midnight, October's own recorded bounds still hold the instant.
    expect(tiledPeriodAt(new Date("2026-11-01T01:00:00Z"), "Europe/Berlin", recorded).period).toBe("2026-10");
    // In its first hour the month so far is empty.
    const first = tiledMonthSoFar(new Date("2026-11-01T04:59:59Z"), "Europe/Berlin", recorded);
    expect(first.end).toEqual(first.start);
  });

  it("nothing billed: the calendar month in the zone", () => {
    const now = new Date("2026-11-01T02:30:00Z");
    const { start, end } = monthSoFar(now, "America/New_York");
    expect(tiledMonthSoFar(now, "America/New_York", NOTHING_RECORDED)).toEqual({
      period: "2026-10",
      start,
      end,
    });
  });

  it("whatever the zones and the order of the runs, every instant is in exactly the period whose bounds hold it", () => {
    const run = fc.record({
      month: fc.integer({ min: 0, max: MONTHS.length - 1 }),
      zone: fc.constantFrom(...ZONES),
    });
    const from = periodBounds(MONTHS[1]!, "UTC").start.getTime();
    const to = periodBounds(MONTHS[MONTHS.length - 2]!, "UTC").end.getTime();
    fc.assert(
      fc.property(
        fc.array(run, { minLength: 1, maxLength: 20 }),
        fc.constantFrom(...ZONES),
        fc.integer({ min: from, max: to - 1 }),
        (runs, zone, t) => {
          const recorded = bill(runs);
          const recordedOf = (p: string) => recorded.get(p);
          const instant = new Date(t);
          const at = tiledPeriodAt(instant, zone, recordedOf);
          expect(at.start <= instant && instant < at.end).toBe(true);
          const { start, end } = tiledBoundsOf(at.period, zone, recordedOf);
          expect({ start, end }).toEqual({ start: at.start, end: at.end });
          for (const other of [periodBefore(at.period), periodAfter(at.period)]) {
            const bounds = tiledBoundsOf(other, zone, recordedOf);
            expect(bounds.start <= instant && instant < bounds.end).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
