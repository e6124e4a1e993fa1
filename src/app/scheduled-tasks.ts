import { billingStateOf } from "../billing/runs/billing-scheduler.ts";
import { currentBillingStart } from "../billing/runs/billing-start.ts";
import { BillingInterrupted } from "../billing/runs/execute-billing-run.ts";
import { runBilling } from "../billing/runs/run-billing.ts";
import { pollActivity } from "../billing/usage/poll-activity.ts";
import { pollServers } from "../billing/usage/poll-servers.ts";
import { pollsServers, readsActivity } from "../billing/usage/usage-sources-from-config.ts";
import { previousPeriod } from "../domain/periods.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { reconcileSolusio } from "../services/sync/reconcile.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";
import { ensureBound } from "../solusio/solusio-binding.ts";
import type { JobPayload } from "../jobs/job-payloads.ts";
import { type JobHandler, type JobRun, PermanentJobError, RetryLaterError } from "../jobs/job-runner.ts";

// The work behind each schedule (schedules.ts), as job handlers (catalog.ts). Each runs once per slot.

/**
 * `billing.scheduled_run`: bills the period when it has no completed run and no live one. Concurrent runs
 * would be safe (billing-rules §5); the check spares the work. A failed run is tried again at the kind's next
 * retry, until a later period is due. A run in progress is looked at again when it would count as abandoned
 * (ABANDONED_AFTER_MS after its last progress): a run whose process was killed (a deploy, a crash) is then
 * taken over, where the kind's hourly retry would have left the month unbilled for up to an hour more.
 */
export function scheduledBillingHandler(
  ctx: ServiceContext,
): JobHandler<JobPayload<"billing.scheduled_run">> {
  return async (job) => {
    const { period } = job.payload;
    const latest = previousPeriod(ctx.now(), ctx.config.BILLING_TIME_ZONE);
    if (period < latest) {
      throw new PermanentJobError(
        `period ${period} is no longer the one due (${latest} is); bill it with tokenbill billing run --period ${period}`,
      );
    }
    // The schedule claims no period before the billing start (schedules.ts); a job claimed before the start was
    // moved later (BILLING_START_PERIOD raised) is not run either.
    const start = await currentBillingStart(ctx);
    if (start && period < start.period) {
      throw new PermanentJobError(
        `period ${period} is before the billing start (${start.period}); bill it with tokenbill billing run --period ${period}`,
      );
    }
    const billing = await billingStateOf(ctx, period);
    if (billing.state === "completed") return;
    if (billing.state === "running") {
      // A second past the moment, so that the run counts as abandoned by then if it made no progress.
      const retryInMs = billing.abandonedAt.getTime() - ctx.now().getTime() + 1_000;
      throw new RetryLaterError(
        `a billing run for ${period} is in progress; checking again at ${new Date(Date.now() + retryInMs).toISOString()}, when it counts as abandoned unless it reports progress`,
        retryInMs,
      );
    }
    ctx.logger.info({ period }, "scheduled billing run starting");
    try {
      const s = await runBilling({ ctx, input: { period }, options: { signal: ctx.signal } });
      // Its end beside its start, as dunning's run logs "done": before, the log said a run began and nothing
      // more. Amounts are minor units, as strings (a bigint is no JSON number).
      ctx.logger.info(
        {
          period,
          run: s.run_id,
          state: s.state,
          invoices: { created: s.invoices.created, finalized: s.invoices.finalized },
          totals: s.totals.map((t) => ({
            currency: t.currency,
            invoices: t.invoices,
            total: String(t.total),
          })),
          anomalies: s.anomalies.total,
          ms: s.duration_ms,
        },
        "scheduled billing run done",
      );
    } catch (error) {
      // Stopped between two batches because this process is stopping: the job is taken up again at once.
      if (error instanceof BillingInterrupted) {
        ctx.logger.info({ period }, "scheduled billing run interrupted: the process is stopping");
        throw new RetryLaterError(error.message, 0);
      }
      // The job's own failure line follows with its attempt and retry; this one ends the run's start line.
      ctx.logger.warn({ period, error: (error as Error)?.message }, "scheduled billing run failed");
      throw error;
    }
  };
}

/**
 * `solusio.poll_servers`: one poll of GET servers when server snapshots are a usage source, and one read of
 * the activity log when it is one (solusio-api.md §9 (b), (c)). `solusio` is the context's own.
 */
export function serverPollHandler(ctx: ServiceContext, solusio: SolusioIntegration): JobHandler {
  return async (_job, run) => {
    const signal = stopSignal(ctx, run);
    const api = solusio.connection.api.stoppedBy(signal);
    await interruptedByStop(ctx, async () => {
      await ensureBound(ctx.db, solusio.connection, signal);
      if (pollsServers(ctx.config)) await pollServers({ ctx, input: { solusio: api } });
      if (readsActivity(ctx.config)) await pollActivity({ ctx, input: { solusio: api } });
    });
  };
}

/**
 * `solusio.reconcile`: reports drift between customers and SolusIO users; never fixes it unasked. Besides the
 * summary line, the reconciliation keeps what it finds of users carrying one customer's billing_user_id,
 * which no sync sees (the sync reads the customer's stored user by its id), and of ids no customer has that
 * users carry: shown on the console's SolusIO page while they hold, and warned of once each, a line of its own
 * naming the users (carrier-findings.ts).
 */
export function reconcileHandler(ctx: ServiceContext, solusio: SolusioIntegration): JobHandler {
  return async (_job, run) => {
    const signal = stopSignal(ctx, run);
    const report = await interruptedByStop(ctx, async () => {
      await ensureBound(ctx.db, solusio.connection, signal);
      // The limit groups' look-up (solusio.limitGroupId) keeps the connection's own calls: it comes after the
      // list of users, which a stop ends, and is cached.
      return reconcileSolusio(
        ctx,
        { api: solusio.connection.api.stoppedBy(signal), limitGroupId: solusio.limitGroupId },
        { fix: false },
      );
    });
    const level = report.drift.length > 0 ? "warn" : "info";
    ctx.logger[level](
      {
        customers: report.customers,
        solusioUsers: report.solusio_users,
        drift: report.drift.slice(0, 20),
      },
      `reconciliation: ${report.drift.length} differences (tokenbill solusio reconcile --fix repairs them)`,
    );
  };
}

/** What ends a scheduled task's SolusIO calls: the schedules' stop (ctx.signal) or the runner giving up on it. */
function stopSignal(ctx: ServiceContext, run: JobRun | undefined): AbortSignal | undefined {
  const signals = [ctx.signal, run?.signal].filter((s): s is AbortSignal => s !== undefined);
  return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
}

/**
 * Runs `work`; when it fails because the process is stopping (the schedules' stop cancelled its calls), the
 * job is deferred for at once, as an interrupted billing run is: taken up by another instance, or by this one
 * restarted, and logged at info, not as a failure. Until 2026-12-05 a poll or reconciliation waiting on a
 * SolusIO that did not answer held the stop until the give-back, and its call ended only when the connection
 * closed.
 */
async function interruptedByStop<T>(ctx: ServiceContext, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!ctx.signal?.aborted) throw error;
    throw new RetryLaterError("interrupted: the process was stopping; the next attempt starts again", 0);
  }
}
