import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../db/open-database.ts";
import {
  BATCH,
  CUSTOMERS,
  closePeriodDatabases,
  expectGapless,
  invoicesOf,
  referenceInvoices,
  setUpPeriod,
} from "../testing/period-fixtures.ts";
import { MemoryUsageSource } from "../usage/memory-usage-source.ts";
import { BillingInterrupted } from "./execute-billing-run.ts";
import { FINALIZER_LOCK } from "./finalize-all.ts";
import { runBilling } from "./run-billing.ts";

// Finalizing on PostgreSQL (finalize-all.ts): batches overlap, numbers still follow customer ids, and one
// run of a period finalizes at a time. PGlite finalizes one batch at a time, so these need PostgreSQL.

const onPostgres = Boolean(process.env["DATABASE_URL"]);

afterEach(closePeriodDatabases);

/** Holds the period's finalizer lock from a connection of its own, as another run finalizing would. */
async function holdFinalizerLock(period: string) {
  const other = await openDatabase({ url: process.env["DATABASE_URL"]!, poolSize: 1 });
  const lock = sql`${FINALIZER_LOCK}, hashtext(${period})`;
  await sql`SELECT pg_advisory_lock(${lock})`.execute(other.db);
  return {
    release: async () => {
      await sql`SELECT pg_advisory_unlock(${lock})`.execute(other.db);
      await other.close();
    },
  };
}

async function untilFinalizing(handle: Awaited<ReturnType<typeof setUpPeriod>>["handle"]) {
  await expect
    .poll(async () => (await handle.db.selectFrom("billing_run").select("phase").executeTakeFirst())?.phase, {
      timeout: 10_000,
    })
    .toBe("finalizing");
}

describe.skipIf(!onPostgres)("finalizing a period on PostgreSQL", () => {
  it("numbers follow customer ids when a later batch is ready to number first", async () => {
    const expected = await referenceInvoices();
    const { ctx, usage, handle } = await setUpPeriod();
    const summary = await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(usage), faults: { holdFinalizationBatch: 1 } },
    });
    expect(summary.invoices.finalized).toBe(CUSTOMERS);
    const invoices = await invoicesOf(handle);
    expectGapless(invoices);
    expect(invoices).toEqual(expected);
    // Each batch's audit row names its numbers: contiguous, batch after batch.
    const audits = await handle.db
      .selectFrom("audit_log")
      .select(sql<string[]>`after -> 'numbers'`.as("numbers"))
      .where("action", "=", "billing_run.finalize")
      .orderBy("id")
      .execute();
    expect(audits.map((a) => a.numbers)).toEqual([
      ["INV-2026-000001", "INV-2026-000007"],
      ["INV-2026-000008", "INV-2026-000014"],
      ["INV-2026-000015", "INV-2026-000021"],
      ["INV-2026-000022", "INV-2026-000028"],
      ["INV-2026-000029", "INV-2026-000030"],
    ]);
  });

  it("the last batch of the measured ranges, held for a batch that never comes, goes ahead", async () => {
    const { ctx, usage, handle } = await setUpPeriod();
    // 30 customers in batches of 7: four measured ranges, then the last two customers one batch at a time.
    const summary = await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(usage), faults: { holdFinalizationBatch: 4 } },
    });
    expect(summary.invoices.finalized).toBe(CUSTOMERS);
    expectGapless(await invoicesOf(handle));
  });

  it("a failed query for the next range lets the open batches number in order and commit, then fails the run", async () => {
    const expected = await referenceInvoices();
    const { ctx, usage, handle } = await setUpPeriod();
    const source = new MemoryUsageSource(usage);
    await expect(
      runBilling({
        ctx,
        input: { period: "2026-10" },
        options: { source, faults: { failFinalizationRange: 3 } },
      }),
    ).rejects.toThrow(/injected failure measuring finalization range 3/);
    // The batches of ranges 1 and 2 were open when the third range was measured: both committed, in order.
    const counter = await handle.db.selectFrom("invoice_number_counter").selectAll().execute();
    expect(counter).toEqual([{ sequence: "INV-2026-{000000}", last_value: BigInt(2 * BATCH) }]);
    const afterFailure = await invoicesOf(handle);
    const issued = afterFailure.filter((i) => i.status === "finalized");
    expect(issued).toEqual(expected.slice(0, 2 * BATCH));
    expect(afterFailure.slice(2 * BATCH).every((i) => i.status === "draft" && i.number === null)).toBe(true);
    const failed = await handle.db
      .selectFrom("billing_run")
      .select(["state", "phase", "error"])
      .executeTakeFirstOrThrow();
    expect(failed).toEqual({
      state: "failed",
      phase: "finalizing",
      error: "injected failure measuring finalization range 3",
    });

    const again = await runBilling({ ctx, input: { period: "2026-10" }, options: { source } });
    expect(again.invoices.finalized).toBe(CUSTOMERS - 2 * BATCH);
    const invoices = await invoicesOf(handle);
    expectGapless(invoices);
    expect(invoices).toEqual(expected);
  });

  it("a run waits while another holds the period's finalizer lock, then finalizes", async () => {
    const expected = await referenceInvoices();
    const { ctx, usage, handle } = await setUpPeriod();
    const other = await holdFinalizerLock("2026-10");
    const run = runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(usage) },
    });
    try {
      await untilFinalizing(handle);
      // Several of its polls for the lock go by; not one invoice is finalized meanwhile.
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const finalized = await handle.db
          .selectFrom("invoice")
          .select((eb) => eb.fn.countAll<bigint>().as("n"))
          .where("status", "<>", "draft")
          .executeTakeFirstOrThrow();
        expect(finalized.n).toBe(0n);
      }
    } finally {
      await other.release();
    }
    expect((await run).invoices.finalized).toBe(CUSTOMERS);
    expect(await invoicesOf(handle)).toEqual(expected);
  });

  it("a stopping process stops a run waiting for the lock; the next run finalizes", async () => {
    const expected = await referenceInvoices();
    const { ctx, usage, handle } = await setUpPeriod();
    const source = new MemoryUsageSource(usage);
    const other = await holdFinalizerLock("2026-10");
    const stopping = new AbortController();
    try {
      const run = runBilling({
        ctx,
        input: { period: "2026-10" },
        options: { source, signal: stopping.signal },
      });
      await untilFinalizing(handle);
      stopping.abort();
      await expect(run).rejects.toBeInstanceOf(BillingInterrupted);
    } finally {
      await other.release();
    }
    const stopped = await handle.db
      .selectFrom("billing_run")
      .select(["state", "phase"])
      .executeTakeFirstOrThrow();
    expect(stopped).toEqual({ state: "failed", phase: "finalizing" });
    const again = await runBilling({ ctx, input: { period: "2026-10" }, options: { source } });
    expect(again.invoices).toMatchObject({ already_present: CUSTOMERS, finalized: CUSTOMERS });
    expect(await invoicesOf(handle)).toEqual(expected);
  });
});
