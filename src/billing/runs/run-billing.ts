import type { VerbArgs } from "../../kernel/context.ts";
import { ensureBound } from "../../solusio/solusio-binding.ts";
import type { BillingRun, BillingSummary } from "./billing-run-schemas.ts";
import type { UsageSource } from "../../domain/usage-record.ts";
import { usageSourcesFromConfig } from "../usage/usage-sources-from-config.ts";
import {
  BillingInterrupted,
  type BillingFaults,
  type BillingProgress,
  executeBillingRun,
} from "./execute-billing-run.ts";
import { billablePeriodNow, startBillingRun } from "./start-billing-run.ts";

export interface RunBillingOptions {
  /** Overrides the configured usage source (tests, the benchmark). */
  source?: UsageSource;
  crossCheck?: UsageSource;
  onProgress?: (progress: BillingProgress) => void;
  /** Called once the run's row exists, before any work: lets callers show or return its id. */
  onStart?: (run: BillingRun) => void;
  faults?: BillingFaults;
  /** Aborted when the process is stopping: the run stops at its next batch (BillingInterrupted). */
  signal?: AbortSignal;
  /** How often the import writes the run's heartbeat while records arrive (tests shorten it). */
  heartbeatMs?: number;
}

export type RunBillingArgs = VerbArgs<{ period: string }> & { options?: RunBillingOptions };

/** Bills one period: `tokenbill billing run`, the admin API and the scheduler all come here. */
export async function runBilling({ ctx, input, options = {} }: RunBillingArgs): Promise<BillingSummary> {
  await billablePeriodNow(ctx, input.period);
  // The run's signal also cancels its SolusIO reads in flight (the CLI's Ctrl-C or SIGTERM, the scheduler's stop),
  // the binding check first: a stop while it waits ends the run as interrupted, before any run row exists.
  const signal = options.signal ?? ctx.signal;
  if (ctx.solusio)
    await ensureBound(ctx.db, ctx.solusio.connection, signal).catch((error: unknown) => {
      throw signal?.aborted ? new BillingInterrupted() : error;
    });
  const configured = options.source ? undefined : usageSourcesFromConfig({ ...ctx, signal });
  const source = options.source ?? configured!.source;
  const run = await startBillingRun({ ctx, input: { period: input.period, source: source.name } });
  options.onStart?.(run);
  return executeBillingRun(ctx, run, {
    source,
    crossCheck: options.crossCheck ?? configured?.crossCheck,
    onProgress: options.onProgress,
    faults: options.faults,
    signal,
    heartbeatMs: options.heartbeatMs,
  });
}
