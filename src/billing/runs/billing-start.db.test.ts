import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/test-database.ts";
import { startSchedules } from "../../app/schedules.ts";
import type { ConfigInput } from "../../config.ts";
import { applyMigrations, MIGRATIONS, migrateToLatest } from "../../db/migrate.ts";
import { openDatabase } from "../../db/open-database.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
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

const BEFORE_035 = Object.keys(MIGRATIONS).filter((name) => name < "035-billing-start");

/**
 * A database as the version before migration 035 left it, its customers created on `createdAt` (each before
 * the upgrade). Built the way it was, by migrations 001–034 on an empty database (PGlite in memory, or a schema
 * of its own on DATABASE_URL), when `fromEmpty`; else, faster, a migrated one with the later migrations undone.
 */
async function bookBefore035(createdAt: string[], { fromEmpty = false } = {}): Promise<TestDatabase> {
  let db: TestDatabase;
  if (fromEmpty) {
    db = await emptyDatabase();
    await applyMigrations(db.db, Object.fromEntries(BEFORE_035.map((name) => [name, MIGRATIONS[name]!])));
  } else {
    db = await createTestDatabase();
    for (const name of Object.keys(MIGRATIONS).reverse()) {
      if (BEFORE_035.includes(name)) break;
      await MIGRATIONS[name]!.down!(db.db);
      await sql`delete from kysely_migration where name = ${name}`.execute(db.db);
    }
  }
  const ids = await createCustomers(
    db,
    createdAt.map((_, i) => ({ email: `c${i}@example.com` })),
  );
  for (const [i, id] of ids.entries())
    await sql`update customer set created_at = ${createdAt[i]}::timestamptz where id = ${id}`.execute(db.db);
  return db;
}

async function emptyDatabase(): Promise<TestDatabase> {
  const url = process.env["DATABASE_URL"];
  if (!url) return openDatabase({ memory: true });
  const schema = `tb_test_${randomBytes(6).toString("hex")}`;
  const admin = await openDatabase({ url, poolSize: 1 });
  await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
  const own = await openDatabase({ url, schema, poolSize: 4 });
  return {
    ...own,
    close: async () => {
      await own.close();
      await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(admin.db);
      await admin.close();
    },
  };
}

describe("the billing start of a book upgraded from before migration 035, without billing runs", () => {
  const DECEMBER_2 = "2026-12-02T09:00:00Z";

  it("is the last ended month when it had customers before the month in progress: November is billed, not skipped", async () => {
    handle = await bookBefore035(["2026-11-16T10:00:00Z", "2026-12-01T08:00:00Z"], { fromEmpty: true });
    expect(await sql`select to_regclass('billing_start') as t`.execute(handle.db)).toMatchObject({
      rows: [{ t: null }],
    });
    await migrateToLatest(handle.db);
    const lines = await scheduleOnce(handle, DECEMBER_2);
    expect(await start(handle)).toEqual([{ period: "2026-11", reason: "upgraded_with_customers" }]);
    expect(await runs(handle)).toEqual([{ period: "2026-11", state: "completed" }]);
    expect(lines.filter((l) => l.msg.startsWith("the billing schedule bills from"))).toMatchObject([
      { period: "2026-11", reason: "upgraded_with_customers" },
    ]);
  });

  it("is never further back than the last ended month: customers since August bill November, the rest on request", async () => {
    handle = await bookBefore035(["2026-08-20T10:00:00Z"]);
    await migrateToLatest(handle.db);
    await scheduleOnce(handle, DECEMBER_2);
    expect(await start(handle)).toEqual([{ period: "2026-11", reason: "upgraded_with_customers" }]);
    expect(await runs(handle)).toEqual([{ period: "2026-11", state: "completed" }]);
  });

  it("goes by BILLING_TIME_ZONE: a customer of 23:30Z on November 30 came in December in Berlin", async () => {
    handle = await bookBefore035(["2026-11-30T23:30:00Z"]);
    await migrateToLatest(handle.db);
    await scheduleOnce(handle, DECEMBER_2, { BILLING_TIME_ZONE: "Europe/Berlin" });
    expect(await start(handle)).toEqual([{ period: "2026-12", reason: "first_schedule" }]);
    expect(await runs(handle)).toEqual([]);
  });

  it("is the month in progress when its customers all came in it, or it had none", async () => {
    handle = await bookBefore035(["2026-12-01T08:00:00Z"]);
    await migrateToLatest(handle.db);
    await scheduleOnce(handle, DECEMBER_2);
    expect(await start(handle)).toEqual([{ period: "2026-12", reason: "first_schedule" }]);
    await handle.close();

    handle = await bookBefore035([]);
    await migrateToLatest(handle.db);
    await scheduleOnce(handle, DECEMBER_2);
    expect(await start(handle)).toEqual([{ period: "2026-12", reason: "first_schedule" }]);
    expect(await runs(handle)).toEqual([]);
  });

  it("is BILLING_START_PERIOD when set, and its first run's month when it has runs, as on any book", async () => {
    handle = await bookBefore035(["2026-11-16T10:00:00Z"]);
    await migrateToLatest(handle.db);
    await scheduleOnce(handle, DECEMBER_2, { BILLING_START_PERIOD: "2026-12" });
    expect(await start(handle)).toEqual([{ period: "2026-12", reason: "configured" }]);
    expect(await runs(handle)).toEqual([]);
    await handle.close();

    handle = await bookBefore035(["2026-09-16T10:00:00Z"]);
    await runBilling({ ctx: at(handle, DECEMBER_2), input: { period: "2026-10" } });
    await migrateToLatest(handle.db);
    await scheduleOnce(handle, DECEMBER_2);
    expect(await start(handle)).toEqual([{ period: "2026-10", reason: "first_billing_run" }]);
  });

  it("leaves a new database as it was: customers of November, first schedule on December 2, December", async () => {
    // Migrated by this version on October 1, customers added in November, serve first started on December 2.
    handle = await createTestDatabase();
    await sql`update kysely_migration set "timestamp" = '2026-10-01T09:00:00.000Z'`.execute(handle.db);
    await createCustomers(handle, [{ email: "new@example.com" }]);
    await sql`update customer set created_at = '2026-11-16T10:00:00Z'`.execute(handle.db);
    await scheduleOnce(handle, DECEMBER_2);
    expect(await start(handle)).toEqual([{ period: "2026-12", reason: "first_schedule" }]);
    expect(await runs(handle)).toEqual([]);
  });
});
