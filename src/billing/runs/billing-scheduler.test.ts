import { describe, expect, it } from "vitest";
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
  it("is the previous month once its end plus grace has passed, and nothing before", () => {
    expect(duePeriod(new Date("2026-11-01T00:59:59Z"), "UTC", HOUR)).toBeNull();
    expect(duePeriod(new Date("2026-11-01T01:00:00Z"), "UTC", HOUR)).toBe("2026-10");
    expect(duePeriod(new Date("2026-11-25T12:00:00Z"), "UTC", HOUR)).toBe("2026-10");
    expect(duePeriod(new Date("2027-01-05T00:00:00Z"), "UTC", HOUR)).toBe("2026-12");
  });
});
