import { describe, expect, it } from "vitest";
import { parseConfig } from "../config.ts";
import { periodBounds } from "../domain/periods.ts";
import { SCHEDULES } from "./schedules.ts";

// Slot ids are computed from the clock alone, so every instance names a firing the same way.

const config = parseConfig({ SERVER_POLL_INTERVAL_MS: 300_000, RECONCILE_INTERVAL_MS: 3_600_000 });
const at = (iso: string) => new Date(iso);

describe("schedule slots", () => {
  it("name the billing slot after the latest due period: in the grace window, the one before", () => {
    // Its slot was taken a month before, so nothing new is scheduled (until 2026-12-06 no slot at all, and with
    // a grace of 28 days or more some months were never due).
    expect(SCHEDULES.billing.slot(at("2026-11-01T00:59:59Z"), config)).toMatchObject({
      slot: "billing:2026-09",
    });
    expect(SCHEDULES.billing.slot(at("2026-11-29T12:07:31Z"), config)).toEqual({
      kind: "billing.scheduled_run",
      slot: "billing:2026-10",
      payload: { period: "2026-10" },
    });
  });

  it("name interval slots after the interval's start, in UTC", () => {
    const now = at("2026-11-29T12:07:31.250Z");
    expect(SCHEDULES["server poll"].slot(now, config)).toEqual({
      kind: "solusio.poll_servers",
      slot: "poll:2026-11-29T12:05",
      payload: {},
    });
    expect(SCHEDULES.reconciliation.slot(now, config)?.slot).toBe("reconcile:2026-11-29T12:00");
    // Below the setting's minute (src/config/config-schema.ts), as tests shorten it: slots still follow the interval.
    const fast = { ...config, RECONCILE_INTERVAL_MS: 50 };
    expect(SCHEDULES.reconciliation.slot(now, fast)?.slot).toBe("reconcile:2026-11-29T12:07:31.250");
  });

  it("fire next at the next slot, and bill at the period's due time or within the hour", () => {
    expect(SCHEDULES["server poll"].next(at("2026-11-29T12:07:31Z"), config)).toEqual(
      at("2026-11-29T12:10:00Z"),
    );
    expect(SCHEDULES.billing.next(at("2026-11-01T00:30:00Z"), config)).toEqual(at("2026-11-01T01:00:00Z"));
    expect(SCHEDULES.billing.next(at("2026-11-29T12:07:31Z"), config)).toEqual(at("2026-11-29T13:07:31Z"));
  });

  it("wait a full interval before the first reconciliation, and poll at once", () => {
    const start = at("2026-11-29T12:07:31Z");
    expect(SCHEDULES.reconciliation.first(start, config)).toEqual(at("2026-11-29T13:07:31Z"));
    expect(SCHEDULES["server poll"].first(start, config)).toEqual(start);
  });
});

describe("the billing schedule after a change of BILLING_TIME_ZONE", () => {
  it("takes the recorded bounds of the months around now: October billed in Berlin is due under New York", () => {
    const newYork = { ...config, BILLING_TIME_ZONE: "America/New_York" };
    const berlinOctober = { ...periodBounds("2026-10", "Europe/Berlin"), timeZone: "Europe/Berlin" };
    const recorded = (p: string) => (p === "2026-10" ? berlinOctober : undefined);
    expect(SCHEDULES.billing.slot(at("2026-11-01T00:30:00Z"), newYork, { recorded })?.slot).toBe(
      "billing:2026-10",
    );
    expect(SCHEDULES.billing.slot(at("2026-11-01T00:30:00Z"), newYork)?.slot).toBe("billing:2026-09");
  });
});

describe("the billing schedule's start (billing-start.ts)", () => {
  it("schedules no period before the start: a first start on December 6 does not bill November", () => {
    const now = at("2026-12-06T07:41:00Z");
    const start = { period: "2026-12", reason: "first_schedule" as const };
    expect(SCHEDULES.billing.slot(now, config, { recorded: () => undefined, start })).toBeNull();
    // The start's own month is billed once it is due; a start set to November bills November.
    expect(
      SCHEDULES.billing.slot(at("2027-01-01T01:00:00Z"), config, { recorded: () => undefined, start })?.slot,
    ).toBe("billing:2026-12");
    const november = { period: "2026-11", reason: "configured" as const };
    expect(SCHEDULES.billing.slot(now, config, { recorded: () => undefined, start: november })?.slot).toBe(
      "billing:2026-11",
    );
  });
});
