import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
import type { UsageRecord } from "../../domain/usage-record.ts";
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

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

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

  it("is computed once an hour: views in the same hour share the figures, the next hour computes again", async () => {
    let now = new Date("2026-11-14T10:20:00Z");
    const ctx = { ...billingContext(handle, { USAGE_SOURCE: "snapshots" }), now: () => now };
    const first = await monthToDateEstimate({ ctx, input: {} });
    now = new Date("2026-11-14T10:59:00Z");
    expect(await monthToDateEstimate({ ctx, input: {} })).toBe(first);
    expect(first.computedAt).toBe("2026-11-14T10:20:00.000Z");
    now = new Date("2026-11-14T11:00:00Z");
    const next = await monthToDateEstimate({ ctx, input: {} });
    expect(next).not.toBe(first);
    expect([next.period.end, next.computedAt]).toEqual([
      "2026-11-14T11:00:00.000Z",
      "2026-11-14T11:00:00.000Z",
    ]);
  });
});
