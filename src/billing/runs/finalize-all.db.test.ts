import { sql } from "kysely";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { POLL, waitUntil } from "../../../test/helpers/wait-until.ts";
import { type DatabaseHandle, openDatabase } from "../../db/open-database.ts";
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
import { FINALIZER_LEASE_LAPSES_MS, FinalizerLeaseLost } from "./finalizer-lease.ts";
import { runBilling } from "./run-billing.ts";

// Finalizing (finalize-all.ts): on PostgreSQL batches overlap and numbers still follow customer ids (PGlite
// finalizes one batch at a time, so those tests need PostgreSQL); on both, one run of a period finalizes at a
// time.

const onPostgres = Boolean(process.env["DATABASE_URL"]);

afterEach(closePeriodDatabases);

/** Another run of the period, holding its finalizer lease as a run finalizing would (finalizer-lease.ts). */
async function holdFinalizerLease(handle: DatabaseHandle, period: string, renewedSecondsAgo = 0) {
  await handle.db
    .insertInto("billing_run")
    .values({
      id: OTHER_RUN,
      period,
      period_start: new Date("2026-10-01T00:00:00Z"),
      period_end: new Date("2026-11-01T00:00:00Z"),
      source: "memory",
      state: "failed",
      actor: "test",
      started_at: new Date(),
      heartbeat_at: new Date(),
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  await handle.db
    .insertInto("finalizer_lease")
    .values({
      period,
      run_id: OTHER_RUN,
      renewed_at: sql`statement_timestamp() - make_interval(secs => ${renewedSecondsAgo})`,
    })
    .onConflict((oc) => oc.column("period").doUpdateSet({ run_id: OTHER_RUN, renewed_at: sql`now()` }))
    .execute();
  return {
    release: () => handle.db.deleteFrom("finalizer_lease").where("run_id", "=", OTHER_RUN).execute(),
  };
}

const OTHER_RUN = "run_0ff1ce";

async function finalizedCount(handle: DatabaseHandle): Promise<bigint> {
  const row = await handle.db
    .selectFrom("invoice")
    .select((eb) => eb.fn.countAll<bigint>().as("n"))
    .where("status", "<>", "draft")
    .executeTakeFirstOrThrow();
  return row.n;
}

async function untilFinalizing(handle: Awaited<ReturnType<typeof setUpPeriod>>["handle"]) {
  await expect
    .poll(
      async () =>
        (
          await handle.db
            .selectFrom("billing_run")
            .select("phase")
            .where("id", "<>", OTHER_RUN)
            .executeTakeFirst()
        )?.phase,
      POLL,
    )
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
});

describe("one run of a period finalizes at a time (the finalizer lease)", () => {
  it("a run waits while another holds the period's finalizer lease, then finalizes", async () => {
    const expected = await referenceInvoices();
    const { ctx, usage, handle } = await setUpPeriod();
    const other = await holdFinalizerLease(handle, "2026-10");
    const messages: string[] = [];
    const logger = pino(
      { level: "debug" },
      { write: (line: string) => void messages.push(JSON.parse(line).msg) },
    );
    const polls = () => messages.filter((msg) => msg === "the finalizer lease is still held").length;
    const run = runBilling({
      ctx: { ...ctx, logger },
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(usage) },
    });
    try {
      await untilFinalizing(handle);
      // Several of its polls for the lease go by, counted from its log (until 2026-12-07 five 100 ms sleeps,
      // which on a loaded machine could pass before the first poll); not one invoice is finalized meanwhile.
      for (let n = 1; n <= 3; n++) {
        await waitUntil(`the run's poll ${n} for the lease`, () => polls() >= n);
        expect(await finalizedCount(handle)).toBe(0n);
      }
    } finally {
      await other.release();
    }
    expect((await run).invoices.finalized).toBe(CUSTOMERS);
    expect(await invoicesOf(handle)).toEqual(expected);
    // Given up once done: the next run of the period need not wait for it to lapse.
    expect(await handle.db.selectFrom("finalizer_lease").selectAll().execute()).toEqual([]);
  });

  it("a stopping process stops a run waiting for the lease; the next run finalizes", async () => {
    const expected = await referenceInvoices();
    const { ctx, usage, handle } = await setUpPeriod();
    const source = new MemoryUsageSource(usage);
    const other = await holdFinalizerLease(handle, "2026-10");
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
      .where("id", "<>", OTHER_RUN)
      .executeTakeFirstOrThrow();
    expect(stopped).toEqual({ state: "failed", phase: "finalizing" });
    const again = await runBilling({ ctx, input: { period: "2026-10" }, options: { source } });
    expect(again.invoices).toMatchObject({ already_present: CUSTOMERS, finalized: CUSTOMERS });
    expect(await invoicesOf(handle)).toEqual(expected);
  });

  it("a lease its run stopped renewing (the run died) is taken over once it has lapsed", async () => {
    const expected = await referenceInvoices();
    const { ctx, usage, handle } = await setUpPeriod();
    await holdFinalizerLease(handle, "2026-10", FINALIZER_LEASE_LAPSES_MS / 1000 + 1);
    const summary = await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(usage) },
    });
    expect(summary.invoices.finalized).toBe(CUSTOMERS);
    expect(await invoicesOf(handle)).toEqual(expected);
  });
});

describe.skipIf(!onPostgres)("a run whose finalizer lease was taken over", () => {
  it("stops before its next batch numbers anything; the run after it finalizes the rest in order", async () => {
    const expected = await referenceInvoices();
    const { ctx, usage, handle } = await setUpPeriod();
    const source = new MemoryUsageSource(usage);
    const other = await holdFinalizerLease(handle, "2026-10");
    const run = runBilling({ ctx, input: { period: "2026-10" }, options: { source } });
    const settled = run.then(
      () => undefined,
      (error: unknown) => error,
    );
    // While it waits for the lease, another connection locks a draft of the second batch's range: the run's
    // first batch then commits, and its second stops at that draft.
    await untilFinalizing(handle);
    const blocker = await openDatabase({ url: process.env["DATABASE_URL"]!, poolSize: 1 });
    const schema = await sql<{ s: string }>`SELECT current_schema() AS s`.execute(handle.db);
    const draft = await handle.db
      .selectFrom("invoice")
      .select("id")
      .orderBy("customer_id")
      .offset(BATCH + 2)
      .limit(1)
      .executeTakeFirstOrThrow();
    let releaseDraft = () => {};
    const released = new Promise<void>((r) => {
      releaseDraft = r;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((r) => {
      locked = r;
    });
    const holding = blocker.db.transaction().execute(async (trx) => {
      await sql`SELECT 1 FROM ${sql.table(`${schema.rows[0]!.s}.invoice`)} WHERE id = ${draft.id} FOR UPDATE`.execute(
        trx,
      );
      locked();
      await released;
    });
    try {
      await isLocked;
      await other.release();
      await expect.poll(() => finalizedCount(handle)).toBe(BigInt(BATCH));
      // Taken over meanwhile (as after a pause longer than the lapse), while the second batch waits.
      await holdFinalizerLease(handle, "2026-10");
    } finally {
      releaseDraft();
      await holding;
      await blocker.close();
    }
    const error = await settled;
    expect(error).toBeInstanceOf(FinalizerLeaseLost);
    // Nothing after the first batch was numbered: the second batch found the lease gone at its turn.
    expect(await finalizedCount(handle)).toBe(BigInt(BATCH));
    const failed = await handle.db
      .selectFrom("billing_run")
      .select(["state", "error"])
      .where("id", "<>", OTHER_RUN)
      .executeTakeFirstOrThrow();
    expect(failed).toEqual({ state: "failed", error: (error as Error).message });

    await other.release();
    const again = await runBilling({ ctx, input: { period: "2026-10" }, options: { source } });
    expect(again.invoices.finalized).toBe(CUSTOMERS - BATCH);
    const invoices = await invoicesOf(handle);
    expectGapless(invoices);
    expect(invoices).toEqual(expected);
  });
});

describe("finalizing's progress", () => {
  it("reports each count once: the batch that finds no draft left repeated the last one", async () => {
    const { ctx, usage } = await setUpPeriod();
    const finalizing: string[] = [];
    await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: {
        source: new MemoryUsageSource(usage),
        onProgress: (p) => p.phase === "finalizing" && finalizing.push(`${p.processed}/${p.total}`),
      },
    });
    // 30 drafts in batches of 7, on PGlite one batch at a time and on PostgreSQL numbered in order.
    expect(finalizing).toEqual(["0/30", "7/30", "14/30", "21/30", "28/30", "30/30"]);
  });
});
