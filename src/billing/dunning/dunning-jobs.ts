import type { ServiceContext } from "../../kernel/context.ts";
import { type JobHandler, RetryLaterError } from "../../jobs/job-runner.ts";
import type { JobPayload } from "../../jobs/job-payloads.ts";
import { DunningInterrupted, evaluateAllDunning } from "./run-dunning.ts";
import { evaluateCustomerDunning } from "./evaluate-dunning.ts";

// The dunning job kinds' handlers (src/app/job-catalog.ts). With DUNNING_ENABLED=false they take no new rung
// but still end the open episodes of customers who paid and lift what dunning imposed: switching dunning off
// must not leave a paying customer suspended.

/** `dunning.evaluate`: one customer, now; queued in the transaction of every payment, refund, credit note. */
export function dunningEvaluateHandler(ctx: ServiceContext): JobHandler<JobPayload<"dunning.evaluate">> {
  return async (job) => {
    const customerId = BigInt(job.payload.customer_id);
    const exists = await ctx.db
      .selectFrom("customer")
      .select("id")
      .where("id", "=", customerId)
      .executeTakeFirst();
    if (!exists) return; // deleted since: nothing to dun
    const actions = await evaluateCustomerDunning(ctx, customerId, ctx.now());
    if (actions.length > 0)
      ctx.logger.info(
        { customer: job.payload.customer_id, steps: actions.map((a) => a.step) },
        "dunning steps taken",
      );
  };
}

/** `dunning.scheduled_run`: every customer with an open episode or an invoice past its first rung. */
export function dunningScheduledHandler(
  ctx: ServiceContext,
): JobHandler<JobPayload<"dunning.scheduled_run">> {
  return async () => {
    try {
      const totals = await evaluateAllDunning(ctx, ctx.now());
      ctx.logger.info(totals, "scheduled dunning run done");
    } catch (error) {
      // Stopped between two pages because this process is stopping: the round is taken up again at once, by
      // another instance or by this one once restarted, instead of running past serve's time to stop.
      if (error instanceof DunningInterrupted) throw new RetryLaterError(error.message, 0);
      throw error;
    }
  };
}
