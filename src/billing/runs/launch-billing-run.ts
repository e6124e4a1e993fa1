import type { VerbArgs } from "../../kernel/context.ts";
import { ensureBound } from "../../solusio/solusio-binding.ts";
import type { BillingRun } from "./billing-run-schemas.ts";
import { usageSourcesFromConfig } from "../usage/usage-sources-from-config.ts";
import { BillingInterrupted, executeBillingRun } from "./execute-billing-run.ts";
import { billablePeriodNow, startBillingRun } from "./start-billing-run.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

/**
 * Starts a run and returns it at once; the work goes on in this process and its progress is read from the
 * run's row (the admin API's POST /billing-runs, the scheduler). A failure is recorded on the row.
 */
export async function launchBillingRun({
  ctx,
  input,
}: VerbArgs<{ period: string }>): Promise<{ run: BillingRun; done: Promise<void> }> {
  // Checked before ensureBound, which may bind the database to this SolusIO.
  await requireStaffRole(ctx, ...BILLING_ROLES);
  await billablePeriodNow(ctx, input.period);
  // Refused before a run row exists: a run against another SolusIO would record a month as billed. The
  // server's close ends the wait (503, the server is stopping), where it waited for SolusIO to answer.
  if (ctx.solusio) await ensureBound(ctx.db, ctx.solusio.connection, ctx.signal);
  const { source, crossCheck } = usageSourcesFromConfig(ctx);
  const run = await startBillingRun({ ctx, input: { period: input.period, source: source.name } });
  // Stops at its next batch when the server closes (ctx.signal), which waits for it (ctx.background).
  const done = executeBillingRun(ctx, run, { source, crossCheck, signal: ctx.signal }).then(
    () => undefined,
    (error: unknown) => {
      if (error instanceof BillingInterrupted)
        ctx.logger.warn(
          { runId: run.id, period: run.period },
          "billing run interrupted: the server was stopping; start it again to finish the period",
        );
      else ctx.logger.error({ err: error, runId: run.id }, "billing run failed");
    },
  );
  ctx.background?.add(done);
  return { run, done };
}
