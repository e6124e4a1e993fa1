import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startSchedules } from "../app/schedules.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { actors } from "../kernel/actor.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { viewEstimate } from "../services/dashboard/month-to-date-estimate.ts";
import { portalCostEstimate } from "../services/portal/portal-cost-estimate.ts";
import { currentMonthSoFar } from "./runs/recorded-period-bounds.ts";
import { runBilling } from "./runs/run-billing.ts";
import { billingContext, createCustomers } from "./testing/billing-fixtures.ts";
import { MemoryUsageSource } from "./usage/memory-usage-source.ts";

// BILLING_TIME_ZONE set from Europe/Berlin to America/New_York once October's first run had recorded Berlin's
// bounds (docs/billing-cycle.md, "Changing the billing time zone"): October ended at 10-31T23:00Z and November
// began there, though New York's calendar says October until 11-01T04:00Z. The month in progress is
// November from then on for the estimates and the billing schedule, as for November's run.

let handle: DatabaseHandle;
let customer: bigint;
const OCTOBER_END = new Date("2026-10-31T23:00:00Z");

const at = (timeZone: string, now: string, overrides: Record<string, string> = {}): ServiceContext =>
  billingContext(handle, { BILLING_TIME_ZONE: timeZone, ...overrides }, new Date(now));

beforeAll(async () => {
  handle = await createTestDatabase();
  [customer] = (await createCustomers(handle, [{ email: "zone@example.com" }])) as [bigint];
  const berlin = at("Europe/Berlin", "2026-11-01T00:05:00Z");
  await runBilling({
    ctx: berlin,
    input: { period: "2026-09" },
    options: { source: new MemoryUsageSource([]) },
  });
  // October's first run fails (SolusIO down, say), its bounds recorded; then the zone is changed.
  const down = {
    name: "down",
    // biome-ignore lint/correctness/useYield: a source that fails before its first record
    async *fetchUsage() {
      throw new Error("SolusIO is down");
    },
  };
  await expect(
    runBilling({ ctx: berlin, input: { period: "2026-10" }, options: { source: down } }),
  ).rejects.toThrow(/SolusIO is down/);
});
afterAll(async () => handle?.close());

describe("the month in progress after a change of BILLING_TIME_ZONE", () => {
  it("starts where October's run ended, for the console's and the portal's estimates", async () => {
    const now = "2026-11-01T03:30:00Z"; // New York: October 31, 23:30
    expect(await currentMonthSoFar(handle.db, new Date(now), "America/New_York")).toEqual({
      period: "2026-11",
      start: OCTOBER_END,
      end: new Date("2026-11-01T03:00:00Z"),
    });
    const console = await viewEstimate(at("America/New_York", now), {
      source: () => new MemoryUsageSource([]),
      waitMs: 10_000,
    });
    expect(console.period).toEqual({ start: OCTOBER_END.toISOString(), end: "2026-11-01T03:00:00.000Z" });
    const portal = await portalCostEstimate({
      ctx: {
        ...at("America/New_York", now, { USAGE_SOURCE: "snapshots" }),
        actor: actors.customer(customer),
      },
      input: {},
    });
    expect(portal.period).toEqual({ start: OCTOBER_END, end: new Date("2026-11-01T03:00:00Z") });
  });

  it("makes October due at its recorded end plus grace: the schedule runs it again at once", async () => {
    // 10-31T23:00Z plus the grace of 1 h has passed; New York's October ends at 11-01T04:00Z.
    const ctx = at("America/New_York", "2026-11-01T00:30:00Z", { USAGE_SOURCE: "snapshots" });
    const scheduler = startSchedules(ctx, ["billing"]);
    await scheduler.idle();
    await scheduler.stop();
    const runs = await handle.db
      .selectFrom("billing_run")
      .select(["period", "state", "period_end", "time_zone"])
      .where("period", "=", "2026-10")
      .orderBy("started_at")
      .execute();
    expect(runs).toEqual([
      { period: "2026-10", state: "failed", period_end: OCTOBER_END, time_zone: "Europe/Berlin" },
      { period: "2026-10", state: "completed", period_end: OCTOBER_END, time_zone: "America/New_York" },
    ]);
  });
});
