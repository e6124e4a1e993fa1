import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  monthSoFar,
  parsePeriod,
  periodAfter,
  periodBefore,
  periodBounds,
  periodOf,
  previousPeriod,
  timeZoneOffsetMs,
} from "./periods.ts";

const HOUR = 3_600_000;
const hours = (b: { start: Date; end: Date }) => (b.end.getTime() - b.start.getTime()) / HOUR;
const iso = (b: { start: Date; end: Date }) => [b.start.toISOString(), b.end.toISOString()];

describe("parsePeriod", () => {
  it("reads YYYY-MM", () => {
    expect(parsePeriod("2026-10")).toEqual({ year: 2026, month: 10 });
    expect(parsePeriod("2027-01")).toEqual({ year: 2027, month: 1 });
  });

  it.each(["2026-13", "2026-00", "2026-1", "26-10", "2026/10", "2026-10-01", "", " 2026-10", "1969-12"])(
    "rejects %j with a clear message",
    (s) => {
      expect(() => parsePeriod(s)).toThrow(/^period: must be a month written YYYY-MM, e\.g\. "2026-10"/);
    },
  );
});

describe("periodBounds", () => {
  it("UTC months are 744, 720 and 672 hours", () => {
    expect(iso(periodBounds("2026-10"))).toEqual(["2026-10-01T00:00:00.000Z", "2026-11-01T00:00:00.000Z"]);
    expect(hours(periodBounds("2026-11", "UTC"))).toBe(720);
    expect(hours(periodBounds("2026-02", "UTC"))).toBe(672);
    expect(iso(periodBounds("2026-12"))).toEqual(["2026-12-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"]);
  });

  it("Europe/Berlin 2026-10 holds the end of DST (25 Oct): 744 + 1 = 745 hours", () => {
    const b = periodBounds("2026-10", "Europe/Berlin");
    expect(iso(b)).toEqual(["2026-09-30T22:00:00.000Z", "2026-10-31T23:00:00.000Z"]);
    expect(hours(b)).toBe(745);
    expect(hours(periodBounds("2026-03", "Europe/Berlin"))).toBe(743);
  });

  it("America/New_York: March 743 h, November 721 h (DST ends on the 1st at 02:00)", () => {
    expect(iso(periodBounds("2026-03", "America/New_York"))).toEqual([
      "2026-03-01T05:00:00.000Z",
      "2026-04-01T04:00:00.000Z",
    ]);
    expect(iso(periodBounds("2026-11", "America/New_York"))).toEqual([
      "2026-11-01T04:00:00.000Z",
      "2026-12-01T05:00:00.000Z",
    ]);
  });

  it("starts at the transition when local midnight does not exist (America/Asuncion, 2023-10-01)", () => {
    const b = periodBounds("2023-10", "America/Asuncion");
    expect(b.start.toISOString()).toBe("2023-10-01T04:00:00.000Z");
    expect(periodOf(new Date(b.start.getTime() - 1), "America/Asuncion")).toBe("2023-09");
    expect(periodOf(b.start, "America/Asuncion")).toBe("2023-10");
  });

  it("starts at the first midnight when midnight happens twice (America/Havana, 2026-11-01)", () => {
    expect(periodBounds("2026-11", "America/Havana").start.toISOString()).toBe("2026-11-01T04:00:00.000Z");
  });

  it("handles half-hour zones", () => {
    expect(iso(periodBounds("2026-10", "Asia/Kolkata"))).toEqual([
      "2026-09-30T18:30:00.000Z",
      "2026-10-31T18:30:00.000Z",
    ]);
  });

  it("rejects an unknown time zone", () => {
    expect(() => periodBounds("2026-10", "Mars/Olympus")).toThrow(/^timeZone: must be an IANA time zone/);
  });

  it("property: consecutive months tile time with no gap or overlap, 672–745 hours each", () => {
    const zones = [
      "UTC",
      "Europe/Berlin",
      "America/New_York",
      "Australia/Sydney",
      "Asia/Kolkata",
      "America/Havana",
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 2000, max: 2040 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(...zones),
        (y, m, tz) => {
          const p = `${y}-${String(m).padStart(2, "0")}`;
          const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, "0")}`;
          const a = periodBounds(p, tz);
          expect(a.end.getTime()).toBe(periodBounds(next, tz).start.getTime());
          expect(hours(a)).toBeGreaterThanOrEqual(671);
          expect(hours(a)).toBeLessThanOrEqual(745);
          expect(periodOf(a.start, tz)).toBe(p);
          expect(periodOf(new Date(a.end.getTime() - 1), tz)).toBe(p);
        },
      ),
    );
  });
});

describe("previousPeriod", () => {
  it("is the month before the one containing now, in the billing time zone", () => {
    const now = new Date("2026-11-01T00:30:00Z");
    expect(previousPeriod(now)).toBe("2026-10");
    expect(previousPeriod(now, "America/New_York")).toBe("2026-09"); // still 31 Oct, 20:30 there
    expect(previousPeriod(new Date("2026-01-15T12:00:00Z"), "UTC")).toBe("2025-12");
    expect(previousPeriod(new Date("2026-09-30T22:30:00Z"), "Europe/Berlin")).toBe("2026-09");
  });

  it("rejects an unknown time zone and an invalid date", () => {
    expect(() => previousPeriod(new Date(), "Nowhere/Else")).toThrow(/^timeZone:/);
    expect(() => previousPeriod(new Date("x"))).toThrow(/^now:/);
  });

  it("reports offsets", () => {
    expect(timeZoneOffsetMs(Date.UTC(2026, 6, 1), "Europe/Berlin")).toBe(2 * HOUR);
    expect(timeZoneOffsetMs(Date.UTC(2026, 0, 1), "Europe/Berlin")).toBe(HOUR);
  });
});

describe("periodBefore and periodAfter", () => {
  it("step one month, across the year's end, and undo each other", () => {
    expect([periodBefore("2026-01"), periodAfter("2026-12"), periodAfter("2028-02")]).toEqual([
      "2025-12",
      "2027-01",
      "2028-03",
    ]);
    for (const p of ["2000-01", "2026-06", "2099-12"]) expect(periodBefore(periodAfter(p))).toBe(p);
  });
});

describe("monthSoFar", () => {
  const span = (now: string, timeZone?: string) => {
    const { start, end } = monthSoFar(new Date(now), timeZone);
    return [start.toISOString(), end.toISOString()];
  };

  it("runs from the period's start to the start of the current hour", () => {
    expect(span("2026-11-05T14:59:59.999Z")).toEqual([
      "2026-11-01T00:00:00.000Z",
      "2026-11-05T14:00:00.000Z",
    ]);
  });

  it("is empty in the period's first hour", () => {
    expect(span("2026-12-01T00:40:00Z")).toEqual(["2026-12-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"]);
  });

  // The month starts where the billing time zone's month starts, and the span counts whole hours from there
  // (in a zone with a half-hour offset the hours end at :30 UTC).
  it.each([
    // 23:30 UTC on 30 November is 00:30 on 1 December in Berlin: December's first hour there.
    ["2026-11-30T23:30:00Z", "Europe/Berlin", "2026-11-30T23:00", "2026-11-30T23:00"],
    ["2026-12-01T02:10:00Z", "Europe/Berlin", "2026-11-30T23:00", "2026-12-01T02:00"],
    // Still October in New York at 02:00 UTC on 1 November (22:00 on 31 October, EDT).
    ["2026-11-01T02:00:00Z", "America/New_York", "2026-10-01T04:00", "2026-11-01T02:00"],
    // Kolkata (UTC+5:30): December starts at 18:30 UTC on 30 November.
    ["2026-11-30T19:10:00Z", "Asia/Kolkata", "2026-11-30T18:30", "2026-11-30T18:30"],
    ["2026-12-01T02:29:59.999Z", "Asia/Kolkata", "2026-11-30T18:30", "2026-12-01T01:30"],
    ["2026-12-01T02:30:00Z", "Asia/Kolkata", "2026-11-30T18:30", "2026-12-01T02:30"],
    // Adelaide in summer (ACDT, UTC+10:30): December starts at 13:30 UTC on 30 November.
    ["2026-11-30T15:00:00Z", "Australia/Adelaide", "2026-11-30T13:30", "2026-11-30T14:30"],
  ])("at %s in %s runs from %s to %s UTC", (now, zone, from, to) => {
    expect(span(now, zone)).toEqual([`${from}:00.000Z`, `${to}:00.000Z`]);
  });
});
