import { type KyselyPlugin, sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { runBilling } from "../../billing/runs/run-billing.ts";
import { UsageStage } from "../../billing/runs/usage-stage.ts";
import {
  billingContext,
  createCustomers,
  createSection4Customer,
  OCTOBER,
  section4Usage,
  usageOf,
} from "../../billing/testing/billing-fixtures.ts";
import { MemoryUsageSource } from "../../billing/usage/memory-usage-source.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { monthSoFar } from "../../domain/periods.ts";
import type { UsageRecord } from "../../domain/usage-record.ts";
import { CLAIM_LAPSES_MS } from "./estimate-claims.ts";
import {
  EstimateStopped,
  estimateUsage,
  monthToDateEstimate,
  viewEstimate,
} from "./month-to-date-estimate.ts";

// The console's month-to-date estimate prices the usage so far as a billing run prices it, a batch of
// customers at a time from a stage of its own, so that neither its memory nor its statements grow with the
// book (at a million customers it had held every record and failed on one statement of every id).

let handle: DatabaseHandle;
const estimateTables = async () =>
  (
    await sql<{ name: string }>`SELECT tablename AS name FROM pg_tables
      WHERE schemaname = current_schema() AND tablename LIKE 'usage\\_estimate\\_%'`.execute(handle.db)
  ).rows.map((r) => r.name);

/** Another instance's claim on the hour of `now`, renewed `minutesAgo` by the database's clock. */
const claimBy = (by: string, now: Date, minutesAgo: number) => {
  const hour = monthSoFar(now);
  return handle.db
    .insertInto("month_to_date_estimate")
    .values({
      period_start: hour.start,
      period_end: hour.end,
      claimed_by: by,
      claimed_at: sql<Date>`now() - make_interval(mins => ${minutesAgo})`,
    })
    .execute();
};

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());
// Each test's hours stand alone: the figures kept are the database's.
beforeEach(async () => {
  await handle.db.deleteFrom("month_to_date_estimate").execute();
});

describe("the month-to-date estimate", () => {
  it("comes to what a billing run invoices for the same usage, across batches of customers", async () => {
    const ctx = billingContext(handle);
    // The §4 worked example's customer ($10.20), and 1,200 more in two currencies: more than one batch.
    const section4 = await createSection4Customer(handle, "estimate-s4@example.com");
    const many = await createCustomers(
      handle,
      Array.from({ length: 1_200 }, (_, i) => ({
        email: `estimate-${i}@example.com`,
        currency: i % 2 ? "EUR" : "USD",
      })),
    );
    const usage: UsageRecord[] = [
      ...section4Usage(section4, 50_000),
      ...many.map((billingUserId, i) =>
        usageOf({
          billingUserId,
          tph: 1 + (i % 9),
          tpm: 500 + i,
          createdAt: "2026-10-03T00:00:00Z",
          deletedAt: i % 3 ? null : "2026-10-20T07:00:00Z",
          serverId: 60_000 + i,
        }),
      ),
    ];
    // What a billing run leaves out or counts once: a duplicate of a server's record, a billing user who is
    // no customer, a server of nobody.
    const extra = [
      usage[1]!,
      usageOf({
        billingUserId: 999_999n,
        tph: 7,
        tpm: 5000,
        createdAt: "2026-10-01T00:00:00Z",
        deletedAt: null,
      }),
      usageOf({ billingUserId: null, tph: 7, tpm: 5000, createdAt: "2026-10-01T00:00:00Z", deletedAt: null }),
    ];
    const source = new MemoryUsageSource([...usage, ...extra]);

    const estimate = await estimateUsage(ctx, source, OCTOBER);
    expect(await estimateTables()).toEqual([]);

    await runBilling({ ctx, input: { period: "2026-10" }, options: { source } });
    const invoiced = await handle.db
      .selectFrom("invoice")
      .select((eb) => [
        "currency_code",
        eb.fn.sum<string>("total").as("total"),
        eb.fn.countAll<string>().as("n"),
        eb.fn.sum<string>("tokens").as("tokens"),
      ])
      .groupBy("currency_code")
      .orderBy("currency_code")
      .execute();
    expect(estimate.revenue).toEqual(
      invoiced.map((r) => ({ currency: r.currency_code, amount: BigInt(r.total), customers: Number(r.n) })),
    );
    expect(estimate.tokens).toBe(invoiced.reduce((sum, r) => sum + BigInt(r.tokens), 0n));
    expect(estimate.customers).toBe(1_201);
    // Servers with a billing user, customer or not: the §4 customer's three, the 1,200, the unknown user's.
    expect(estimate.servers).toBe(3 + 1_200 + 1);
    const section4Invoice = await handle.db
      .selectFrom("invoice")
      .select("total")
      .where("customer_id", "=", section4)
      .executeTakeFirstOrThrow();
    expect(section4Invoice.total).toBe(1020n);
  });

  it("drops the stage of an estimate that died more than an hour ago, and keeps a recent one", async () => {
    const now = new Date("2026-11-01T05:00:00Z");
    const ctx = billingContext(handle, {}, now);
    const old = UsageStage.forEstimate(new Date(now.getTime() - 61 * 60_000));
    const recent = UsageStage.forEstimate(new Date(now.getTime() - 5 * 60_000));
    await old.create(handle.db);
    await recent.create(handle.db);
    await estimateUsage(ctx, new MemoryUsageSource([]), OCTOBER);
    expect(await estimateTables()).toEqual([recent.name]);
    await recent.drop(handle.db);
  });

  it("does not hold a view past its wait: the hour before's figures, or none yet, while this hour's are computed", async () => {
    // A database of its own: the figures kept are per database.
    const own = await createTestDatabase();
    try {
      let now = new Date("2026-11-14T10:20:00Z");
      const ctx = { ...billingContext(own), now: () => now };
      const [customer] = await createCustomers(own, [{ email: "slow@example.com" }]);
      const record = usageOf({
        billingUserId: customer!,
        tph: 7,
        tpm: 5000,
        createdAt: "2026-11-01T00:00:00Z",
        deletedAt: null,
        period: { start: new Date("2026-11-01T00:00:00Z"), end: now },
      });
      let release = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slow = new MemoryUsageSource(() => []);
      slow.fetchUsage = async function* () {
        await gate;
        yield record;
      };
      const view = () => viewEstimate(ctx, { source: () => slow, waitMs: 50 });

      const first = await view();
      expect([first.computing, first.computedAt, first.tokens]).toEqual([true, null, 0n]);
      release();
      await expect.poll(async () => (await view()).computing).toBe(false);
      const done = await view();
      expect([done.computedAt, done.customers, done.tokens > 0n]).toEqual([
        "2026-11-14T10:20:00.000Z",
        1,
        true,
      ]);

      // The next hour: its figures wait on the source again, and the view shows the hour before's meanwhile.
      let releaseNext = () => {};
      const nextGate = new Promise<void>((resolve) => (releaseNext = resolve));
      slow.fetchUsage = async function* () {
        await nextGate;
        yield record;
      };
      now = new Date("2026-11-14T11:05:00Z");
      const meanwhile = await view();
      expect({ ...meanwhile, computing: false }).toEqual(done);
      expect(meanwhile.computing).toBe(true);
      releaseNext();
      await expect.poll(async () => (await view()).computedAt).toBe("2026-11-14T11:05:00.000Z");
    } finally {
      await own.close();
    }
  });

  it("stops at its next record when the server closes, and drops its stage", async () => {
    const stopping = new AbortController();
    const ctx = { ...billingContext(handle), signal: stopping.signal };
    const [customer] = await createCustomers(handle, [{ email: "stopped@example.com" }]);
    let seen = 0;
    const endless = new MemoryUsageSource(() => []);
    endless.fetchUsage = async function* () {
      for (let serverId = 90_000; ; serverId++) {
        seen++;
        if (seen === 3_000) stopping.abort();
        yield usageOf({
          billingUserId: customer!,
          tph: 1,
          tpm: 500,
          createdAt: "2026-10-01T00:00:00Z",
          deletedAt: null,
          serverId,
        });
      }
    };
    await expect(estimateUsage(ctx, endless, OCTOBER)).rejects.toBeInstanceOf(EstimateStopped);
    expect(seen).toBe(3_000);
    expect(await estimateTables()).toEqual([]);
  });

  it("is computed once an hour on the database: every view of the hour, on any instance, shows its figures", async () => {
    let now = new Date("2026-11-20T08:30:00Z");
    const onA = { ...billingContext(handle), now: () => now };
    // A second Kysely on the same database stands for a second instance: what instances share is in the
    // database, and an instance's own part is kept per Db.
    const onB = { ...onA, db: handle.db.withPlugin(asItIs) };
    const [customer] = await createCustomers(handle, [{ email: "hourly@example.com" }]);
    const { source, reads, release } = gatedSource(customer!);
    release();

    const first = await viewEstimate(onA, { source, waitMs: 10_000 });
    expect([first.computing, first.computedAt, first.customers]).toEqual([
      false,
      "2026-11-20T08:30:00.000Z",
      1,
    ]);
    expect(await viewEstimate(onB, { source, waitMs: 10_000 })).toEqual(first);
    now = new Date("2026-11-20T08:59:00Z");
    expect(await viewEstimate(onB, { source, waitMs: 10_000 })).toEqual(first);
    expect(reads()).toBe(1);

    // The next hour, viewed on both instances at once: one computation, the hour before's figures meanwhile.
    now = new Date("2026-11-20T09:00:00Z");
    const { source: next, reads: nextReads, release: releaseNext } = gatedSource(customer!);
    const both = await Promise.all([
      viewEstimate(onA, { source: next, waitMs: 50 }),
      viewEstimate(onB, { source: next, waitMs: 50 }),
    ]);
    expect(both.map((v) => [v.computing, v.computedAt])).toEqual([
      [true, first.computedAt],
      [true, first.computedAt],
    ]);
    releaseNext();
    await expect
      .poll(async () => (await viewEstimate(onB, { source: next, waitMs: 50 })).computedAt)
      .toBe("2026-11-20T09:00:00.000Z");
    expect(nextReads()).toBe(1);
    // Only the latest hour is kept.
    expect(await storedHours()).toEqual(["2026-11-20T09:00:00.000Z"]);
  });

  it("takes over an hour whose claim was not renewed, and leaves one that was to its instance", async () => {
    // The view's clock (2026-11-21) is days behind the database's: a claim's age is the database's alone.
    const now = new Date("2026-11-21T08:30:00Z");
    const ctx = { ...billingContext(handle), now: () => now };
    const [customer] = await createCustomers(handle, [{ email: "taken-over@example.com" }]);
    const claim = (minutesAgo: number) => claimBy("estimator_elsewhere", now, minutesAgo);

    // Renewed a minute ago: its instance is computing; this view waits, then says so.
    await claim(1);
    const { source, reads, release } = gatedSource(customer!);
    release();
    const waiting = await viewEstimate(ctx, { source, waitMs: 300 });
    expect([waiting.computing, waiting.computedAt, reads()]).toEqual([true, null, 0]);

    // Not renewed for CLAIM_LAPSES_MS: its process died, and this view computes the hour.
    await handle.db.deleteFrom("month_to_date_estimate").execute();
    await claim(CLAIM_LAPSES_MS / 60_000 + 1);
    const computed = await viewEstimate(ctx, { source, waitMs: 10_000 });
    expect([computed.computing, computed.computedAt, computed.customers, reads()]).toEqual([
      false,
      "2026-11-21T08:30:00.000Z",
      1,
      1,
    ]);
  });

  it("leaves a fresh claim alone when the viewing instance's clock runs ahead", async () => {
    // An instance whose clock is an hour ahead of the database's: the claim is a minute old all the same.
    const now = new Date(Date.now() + 3_600_000);
    const ctx = { ...billingContext(handle), now: () => now };
    const [customer] = await createCustomers(handle, [{ email: "clock-ahead@example.com" }]);
    await claimBy("estimator_elsewhere", now, 1);
    const { source, reads, release } = gatedSource(customer!);
    release();
    const waiting = await viewEstimate(ctx, { source, waitMs: 300 });
    expect([waiting.computing, waiting.computedAt, reads()]).toEqual([true, null, 0]);
    const [row] = await handle.db.selectFrom("month_to_date_estimate").select("claimed_by").execute();
    expect(row?.claimed_by).toBe("estimator_elsewhere");
  });

  it("gives the hour up when the source cannot be read or the server stops, so that the next view tries again", async () => {
    const now = new Date("2026-11-22T08:30:00Z");
    const ctx = { ...billingContext(handle), now: () => now };
    const [customer] = await createCustomers(handle, [{ email: "given-up@example.com" }]);
    const broken = new MemoryUsageSource(() => []);
    broken.fetchUsage = async function* () {
      yield* [];
      throw new Error("SolusIO answered 502");
    };
    const failed = await viewEstimate(ctx, { source: () => broken, waitMs: 10_000 });
    expect([failed.available, failed.problem]).toEqual([false, "SolusIO answered 502"]);
    expect(await storedHours()).toEqual([]);

    const stopping = new AbortController();
    stopping.abort();
    const { source, release } = gatedSource(customer!);
    release();
    await expect(
      viewEstimate({ ...ctx, signal: stopping.signal }, { source, waitMs: 10_000 }),
    ).rejects.toBeInstanceOf(EstimateStopped);
    expect(await storedHours()).toEqual([]);

    const computed = await viewEstimate(ctx, { source, waitMs: 10_000 });
    expect([computed.available, computed.customers]).toEqual([true, 1]);
    expect(await storedHours()).toEqual(["2026-11-22T08:00:00.000Z"]);
  });

  it("is reached through the verb, on the configured usage source", async () => {
    const ctx = billingContext(handle, { USAGE_SOURCE: "snapshots" }, new Date("2026-11-23T10:20:00Z"));
    const estimate = await monthToDateEstimate({ ctx, input: {} });
    expect([estimate.available, estimate.computing, estimate.period]).toEqual([
      true,
      false,
      { start: "2026-11-01T00:00:00.000Z", end: "2026-11-23T10:00:00.000Z" },
    ]);
  });
});

const asItIs: KyselyPlugin = {
  transformQuery: (args) => args.node,
  transformResult: async (args) => args.result,
};

const storedHours = async () =>
  (
    await handle.db.selectFrom("month_to_date_estimate").select("period_end").orderBy("period_end").execute()
  ).map((r) => r.period_end.toISOString());

/** One server of `customer` this month, read only once `release` is called; `reads` counts the computations. */
function gatedSource(customer: bigint) {
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reads = 0;
  const source = new MemoryUsageSource(() => []);
  source.fetchUsage = async function* (period) {
    await gate;
    yield usageOf({
      billingUserId: customer,
      tph: 7,
      tpm: 5000,
      createdAt: "2026-11-01T00:00:00Z",
      deletedAt: null,
      period,
    });
  };
  return {
    source: () => {
      reads++;
      return source;
    },
    reads: () => reads,
    release,
  };
}
