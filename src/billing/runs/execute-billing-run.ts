import type { ServiceContext } from "../../kernel/context.ts";
import { PricingSnapshot } from "../../services/pricing/pricing-snapshot.ts";
import { jsonText } from "../../kernel/json.ts";
import type { BillingRun, BillingSummary } from "./billing-run-schemas.ts";
import type { UsageSource } from "../../domain/usage-record.ts";
import { loadSharedRows } from "../../services/pricing/pricing-rows.ts";
import { type Anomaly, recordAnomalies } from "./anomaly.ts";
import { crossCheckUsage } from "./cross-check-usage.ts";
import { BillingInterrupted, draftAll, SimulatedCrash } from "./draft-all.ts";
import type { RunRef } from "./draft-invoices.ts";
import { finalizeAll } from "./finalize-all.ts";
import { startImportHeartbeat, writeImportProgress } from "./import-heartbeat.ts";
import { importUsage } from "./import-usage.ts";
import { noUsageAnomaly } from "./no-usage-anomaly.ts";
import { summarizeBillingRun } from "./summarize-billing-run.ts";
import { dropStaleStages, UsageStage } from "./usage-stage.ts";
import { storedErrorText } from "../../db/stored-error-text.ts";

export { BillingInterrupted, SimulatedCrash } from "./draft-all.ts";

export type BillingPhase = "importing" | "drafting" | "finalizing" | "done";

export interface BillingProgress {
  runId: string;
  phase: BillingPhase;
  processed: number;
  total: number;
}

/** Failures injected by tests, at the points where a real process can die. */
export interface BillingFaults {
  /** Stop dead once this many customers are drafted, leaving everything as a killed process would. */
  crashAfterCustomers?: number;
  /** Throw inside the n-th finalization transaction (1-based), after its numbers were written. */
  failFinalizationBatch?: number;
  /**
   * Throw from the query that measures the n-th range of drafts (1-based) on PostgreSQL, while the batches of
   * the ranges before it are open.
   */
  failFinalizationRange?: number;
  /**
   * Finalization batch n takes its numbers only once batch n + 1 is waiting to take its own: on PostgreSQL,
   * where batches overlap, the order they would number in if nothing kept them in customer order.
   */
  holdFinalizationBatch?: number;
  /**
   * Called between a drafting batch's read of its customers and the transaction that writes its drafts, with
   * the batch's customer ids: where staff can change or delete a customer under a running run.
   */
  beforeDraftWrite?: (customerIds: readonly bigint[]) => Promise<void>;
}

export interface BillingRunDeps {
  source: UsageSource;
  /** A second source compared with the billed one (snapshots beside the usage endpoint). */
  crossCheck?: UsageSource | undefined;
  onProgress?: ((progress: BillingProgress) => void) | undefined;
  faults?: BillingFaults | undefined;
  /**
   * Aborted when the process is stopping (a deploy): the run stops at its next page or batch, marks itself
   * failed with BillingInterrupted's message, and rejects with it; the next run resumes.
   */
  signal?: AbortSignal | undefined;
  /**
   * How often the heartbeat and import progress are written while usage records arrive (IMPORT_HEARTBEAT_MS);
   * tests shorten it.
   */
  heartbeatMs?: number | undefined;
}

/**
 * Imports usage, drafts one invoice per customer in batches (each batch one transaction), then finalizes
 * every draft of the period with gapless numbers. Every step is safe to repeat: a run started twice, or
 * started again after a crash, ends with the same invoices (billing-rules §5).
 */
export async function executeBillingRun(
  ctx: ServiceContext,
  run: BillingRun,
  deps: BillingRunDeps,
): Promise<BillingSummary> {
  const startedAt = ctx.now();
  const ref: RunRef = {
    id: run.id,
    period: run.period,
    periodStart: new Date(run.period_start),
    periodEnd: new Date(run.period_end),
  };
  const period = { start: ref.periodStart, end: ref.periodEnd };
  const report = (phase: BillingPhase, processed: number, total: number) =>
    deps.onProgress?.({ runId: run.id, phase, processed, total });
  const stage = UsageStage.of(run.id);
  const record = (anomalies: readonly Anomaly[]) => recordAnomalies(ctx.db, ref, anomalies);
  try {
    await dropStaleStages(ctx.db);
    await stage.create(ctx.db);
    // The shared pricing inputs (currencies, group discounts, tax rules) once; customers come per batch.
    const shared = await loadSharedRows(ctx.db);
    const pricing = new PricingSnapshot({ ...shared, customers: [], discounts: shared.groupDiscounts });

    let received = 0;
    const heartbeat = startImportHeartbeat(ctx, run.id, () => received, deps.heartbeatMs);
    // Stopped however the import ends: a failed or interrupted run must not leave its timer behind in serve.
    const imported = await importUsage(ctx.db, {
      source: deps.source,
      period,
      stage,
      report: record,
      onRecord: () => {
        received++;
      },
      onProgress: async (n) => {
        if (deps.signal?.aborted) throw new BillingInterrupted();
        report("importing", n, 0);
        // The API shows progress from the run's row, page by page; the total is unknown until the last page.
        await writeImportProgress(ctx, run.id, n);
      },
    }).finally(() => heartbeat.stop());
    await record((await deps.source.notes?.(period)) ?? []);
    if (deps.crossCheck)
      await crossCheckUsage(ctx.db, { stage, other: deps.crossCheck, period, report: record });
    const customerCount = imported.customers;
    await ctx.db.transaction().execute(async (trx) => {
      await recordAnomalies(trx, ref, await noUsageAnomaly(trx, run.period, imported.records));
      await trx
        .updateTable("billing_run")
        .set({ phase: "drafting", processed: 0, total: customerCount, heartbeat_at: ctx.now() })
        .where("id", "=", run.id)
        .execute();
    });
    report("drafting", 0, customerCount);

    const { created, alreadyPresent } = await draftAll(ctx, {
      run: ref,
      stage,
      total: customerCount,
      pricing,
      onProgress: (processed, total) => report("drafting", processed, total),
      crashAfterCustomers: deps.faults?.crashAfterCustomers,
      beforeWrite: deps.faults?.beforeDraftWrite,
      signal: deps.signal,
    });

    const finalized = await finalizeAll(ctx, ref, {
      signal: deps.signal,
      failBatch: deps.faults?.failFinalizationBatch,
      failRange: deps.faults?.failFinalizationRange,
      holdBatch: deps.faults?.holdFinalizationBatch,
      onProgress: (n, total) => report("finalizing", n, total),
    });
    const finishedAt = ctx.now();
    const summary = await summarizeBillingRun(ctx.db, {
      runId: run.id,
      period: run.period,
      periodStart: ref.periodStart,
      periodEnd: ref.periodEnd,
      // The zone the run's bounds were computed in, which a later change of BILLING_TIME_ZONE does not alter.
      timeZone: run.time_zone ?? ctx.config.BILLING_TIME_ZONE,
      boundsWarning: run.bounds_warning,
      source: run.source,
      usageRecords: imported.records,
      customers: customerCount,
      created,
      alreadyPresent,
      finalized,
      startedAt,
      finishedAt,
    });
    await ctx.db
      .updateTable("billing_run")
      .set({
        state: "completed",
        phase: "done",
        summary: jsonText(summary),
        heartbeat_at: finishedAt,
        finished_at: finishedAt,
      })
      .where("id", "=", run.id)
      .execute();
    report("done", finalized, finalized);
    return summary;
  } catch (thrown) {
    // A SolusIO read cancelled because the process is stopping is an interruption, not a failure of the run.
    const error =
      deps.signal?.aborted && !(thrown instanceof SimulatedCrash) ? new BillingInterrupted() : thrown;
    if (!(error instanceof SimulatedCrash)) {
      await ctx.db
        .updateTable("billing_run")
        .set({
          state: "failed",
          error: storedErrorText((error as Error).message ?? String(error), 2000),
          finished_at: ctx.now(),
        })
        .where("id", "=", run.id)
        .execute()
        .catch((e) => ctx.logger.error({ err: e, runId: run.id }, "could not mark the billing run failed"));
    }
    throw error;
  } finally {
    await stage
      .drop(ctx.db)
      .catch((e) => ctx.logger.warn({ err: e, runId: run.id }, "could not drop the run's usage stage"));
  }
}
