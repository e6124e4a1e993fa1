import { describe, expect, it } from "vitest";
import { periodBounds } from "../../domain/periods.ts";
import { duePeriod, nextScheduledRun } from "./billing-scheduler.ts";

// billing-rules §5: a period is billed once it has ended in the billing time zone, plus the grace window.

const HOUR = 3_600_000;

describe("nextScheduledRun", () => {
  it("inside the grace window: the period that just ended, at its end plus grace", () => {
    expect(nextScheduledRun(new Date("2026-11-01T00:30:00Z"), "UTC", HOUR)).toEqual({
      period: "2026-10",
      at: new Date("2026-11-01T01:00:00Z"),
    });
  });

  it("after it: the current month, at its end plus grace", () => {
    expect(nextScheduledRun(new Date("2026-11-01T01:00:00Z"), "UTC", HOUR)).toEqual({
      period: "2026-11",
      at: new Date("2026-12-01T01:00:00Z"),
    });
    expect(nextScheduledRun(new Date("2026-12-31T23:59:00Z"), "UTC", 0)).toEqual({
      period: "2026-12",
      at: new Date("2027-01-01T00:00:00Z"),
    });
  });

  it("in Europe/Berlin, October ends at 23:00Z on the 31st (winter time)", () => {
    expect(nextScheduledRun(new Date("2026-10-31T23:30:00Z"), "Europe/Berlin", HOUR)).toEqual({
      period: "2026-10",
      at: new Date("2026-11-01T00:00:00Z"),
    });
  });
});

describe("duePeriod", () => {
  it("is the previous month once its end plus grace has passed, and until then the one before it", () => {
    // In the grace window the month before is still the latest due one (its slot was taken a month ago).
    expect(duePeriod(new Date("2026-11-01T00:59:59Z"), "UTC", HOUR)).toBe("2026-09");
    expect(duePeriod(new Date("2026-11-01T01:00:00Z"), "UTC", HOUR)).toBe("2026-10");
    expect(duePeriod(new Date("2026-11-25T12:00:00Z"), "UTC", HOUR)).toBe("2026-10");
    expect(duePeriod(new Date("2027-01-05T00:00:00Z"), "UTC", HOUR)).toBe("2026-12");
  });

  it.each([
    ["UTC", 30 * 24 * HOUR],
    ["UTC", 28 * 24 * HOUR],
    ["Europe/Berlin", 30 * 24 * HOUR],
    ["America/New_York", HOUR],
    ["UTC", 0],
  ])("in %s with a grace of %i ms, makes every month due, each at its end plus grace", (zone, grace) => {
    // Until 2026-12-06, at 30 days January, March, May, August and October were never due (at 28 days,
    // January): only the month before now's was looked at.
    const due = new Map<string, Date>();
    for (let t = Date.parse("2026-01-01T00:00:00Z"); t < Date.parse("2028-03-01T00:00:00Z"); t += HOUR) {
      const period = duePeriod(new Date(t), zone, grace);
      if (!due.has(period)) due.set(period, new Date(t));
    }
    for (let year = 2026; year <= 2027; year++)
      for (let month = 1; month <= 12; month++) {
        const period = `${year}-${String(month).padStart(2, "0")}`;
        if (period < "2026-01" || (grace === 0 && period === "2025-12")) continue;
        const at = due.get(period);
        expect(at, `${period} is never due`).toBeDefined();
        // First seen within the hour after its end plus grace (the sweep's step).
        const dueAt = nextScheduledRun(new Date(at!.getTime() - HOUR), zone, grace);
        expect(dueAt.period, period).toBe(period);
        expect(at!.getTime() - dueAt.at.getTime()).toBeGreaterThanOrEqual(0);
        expect(at!.getTime() - dueAt.at.getTime()).toBeLessThan(HOUR);
      }
  });
});

describe("the due period after a change of BILLING_TIME_ZONE", () => {
  // October billed (its first run started) in Europe/Berlin: it ended at 10-31T23:00Z, and November began there.
  const berlinOctober = { ...periodBounds("2026-10", "Europe/Berlin"), timeZone: "Europe/Berlin" };
  const recorded = (p: string) => (p === "2026-10" ? berlinOctober : undefined);

  it("in America/New_York: October is due at its recorded end plus grace, not at New York's", () => {
    const now = new Date("2026-11-01T00:00:00Z"); // 10-31T23:00Z + 1 h; New York's October ends at 04:00Z
    expect(duePeriod(now, "America/New_York", HOUR, recorded)).toBe("2026-10");
    expect(duePeriod(now, "America/New_York", HOUR)).toBe("2026-09"); // the calendar's answer
    expect(duePeriod(new Date("2026-10-31T23:59:59Z"), "America/New_York", HOUR, recorded)).toBe("2026-09");
    // The run in progress is November's, due at New York's month end (nothing recorded after it).
    expect(nextScheduledRun(now, "America/New_York", HOUR, recorded)).toEqual({
      period: "2026-11",
      at: new Date("2026-12-01T06:00:00Z"),
    });
  });
});
