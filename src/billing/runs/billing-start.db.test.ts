import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/test-database.ts";
import { startSchedules } from "../../app/schedules.ts";
import type { ConfigInput } from "../../config.ts";
import { billingContext } from "../testing/billing-fixtures.ts";
import { ensureBillingStart } from "./billing-start.ts";
import { runBilling } from "./run-billing.ts";

// A new install does not bill the months before it: the first billing schedule on a database records the
// month in progress as its start (migration 035), and never schedules a period before it. A book that has
// billed keeps billing, BILLING_START_PERIOD bills an earlier month on purpose, and an explicit run bills any.

let handle: TestDatabase | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

const DECEMBER_6 = "2026-12-06T07:41:00Z";

/** Usage from server snapshots, of which there are none: each run bills nobody and completes. */
const at = (db: TestDatabase, now: string, overrides: Partial<ConfigInput> = {}) =>
  billingContext(db, { USAGE_SOURCE: "snapshots", ...overrides }, new Date(now));

/** One schedule's start and first firing at `now`, its info lines kept. */
async function scheduleOnce(db: TestDatabase, now: string, overrides: Partial<ConfigInput> = {}) {
  const lines: { msg: string; period?: string; reason?: string }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const schedules = startSchedules({ ...at(db, now, overrides), logger }, ["billing"]);
  await schedules.idle();
  await schedules.stop();
  return lines;
}

const runs = (db: TestDatabase) =>
  db.db.selectFrom("billing_run").select(["period", "state"]).orderBy("period").execute();
const start = (db: TestDatabase) => db.db.selectFrom("billing_start").select(["period", "reason"]).execute();

describe("the billing start", () => {
  it("is the month in progress at the first schedule on a new database: November is not billed on December 6", async () => {
    handle = await createTestDatabase();
    const lines = await scheduleOnce(handle, DECEMBER_6);
    expect(await runs(handle)).toEqual([]);
    expect(await start(handle)).toEqual([{ period: "2026-12", reason: "first_schedule" }]);
    // Said once, with the period.
    const said = lines.filter((l) => l.msg.startsWith("the billing schedule bills from"));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ period: "2026-12", reason: "first_schedule" });
    expect(said[0]!.msg).toContain("2026-12");

    // A later start keeps the record, and December is billed once it is due.
    await scheduleOnce(handle, "2027-01-01T02:00:00Z");
    expect(await runs(handle)).toEqual([{ period: "2026-12", state: "completed" }]);
    expect(await start(handle)).toEqual([{ period: "2026-12", reason: "first_schedule" }]);
  });

  it("leaves explicit runs alone: an earlier period is billed on request", async () => {
    handle = await createTestDatabase();
    await scheduleOnce(handle, DECEMBER_6);
    const ctx = at(handle, DECEMBER_6);
    expect((await runBilling({ ctx, input: { period: "2026-11" } })).state).toBe("completed");
    expect(await runs(handle)).toEqual([{ period: "2026-11", state: "completed" }]);
  });

  it("is the period of the first run on a book that has billed, which goes on billing as before", async () => {
    handle = await createTestDatabase();
    // Billed September and October before this version: November is due on December 6 as it was.
    for (const period of ["2026-09", "2026-10"])
      await runBilling({ ctx: at(handle, DECEMBER_6), input: { period } });
    await scheduleOnce(handle, DECEMBER_6);
    expect(await start(handle)).toEqual([{ period: "2026-09", reason: "first_billing_run" }]);
    expect((await runs(handle)).map((r) => r.period)).toEqual(["2026-09", "2026-10", "2026-11"]);
  });

  it("is BILLING_START_PERIOD when set: a provider bills last month on purpose", async () => {
    handle = await createTestDatabase();
    const lines = await scheduleOnce(handle, DECEMBER_6, { BILLING_START_PERIOD: "2026-11" });
    expect(await runs(handle)).toEqual([{ period: "2026-11", state: "completed" }]);
    expect(await start(handle)).toEqual([{ period: "2026-11", reason: "configured" }]);
    expect(lines.filter((l) => l.msg.startsWith("the billing schedule bills from"))).toMatchObject([
      { period: "2026-11", reason: "configured" },
    ]);
  });

  it("wins over the record when set later", async () => {
    handle = await createTestDatabase();
    await scheduleOnce(handle, DECEMBER_6);
    await scheduleOnce(handle, DECEMBER_6, { BILLING_START_PERIOD: "2026-11" });
    expect(await runs(handle)).toEqual([{ period: "2026-11", state: "completed" }]);
  });

  it("is recorded once when several instances start at once", async () => {
    handle = await createTestDatabase();
    const db = handle;
    const starts = await Promise.all(
      ["2026-12-06T07:41:00Z", "2026-12-31T23:59:00Z", "2027-01-01T00:30:00Z", DECEMBER_6].map((now) =>
        ensureBillingStart(at(db, now)),
      ),
    );
    const [recorded] = await start(db);
    expect(await start(db)).toHaveLength(1);
    // Every instance goes by the one row, whichever wrote it.
    for (const s of starts) expect(s).toEqual(recorded);
  });
});
