import { z } from "zod";
import { requireActor } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { calendarDate } from "../runs/calendar-date.ts";
import { dunningCandidates } from "./dunning-candidates.ts";
import { firstStepDays } from "./dunning-ladder.ts";
import { type DunningAction, evaluateCustomerDunning } from "./evaluate-dunning.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

const BATCH = 500;
/** A clock a little ahead of ours is not "the future": as_of = the caller's now must pass. */
const FUTURE_TOLERANCE_MS = 60_000;

export interface DunningRunTotals {
  customers: number;
  steps: number;
}

/**
 * Evaluates every customer who may need dunning, as of `asOf`, one transaction per customer (a failure is
 * logged and the run goes on: the next round, or the customer's next payment, tries again). Memory stays
 * bounded: one page of ids at a time, and each customer's steps go to `onActions` rather than into a list.
 */
export async function evaluateAllDunning(
  ctx: ServiceContext,
  asOf: Date,
  onActions: (actions: DunningAction[]) => void = () => {},
): Promise<DunningRunTotals> {
  const totals: DunningRunTotals = { customers: 0, steps: 0 };
  const first = firstStepDays(ctx.config.DUNNING_LADDER);
  if (first === undefined) return totals;
  const today = calendarDate(asOf, ctx.config.BILLING_TIME_ZONE);
  let after = 0n;
  for (;;) {
    const ids = await dunningCandidates(ctx.db, { after, limit: BATCH, today, firstStepDays: first });
    for (const id of ids) {
      try {
        const actions = await evaluateCustomerDunning(ctx, id, asOf);
        totals.customers++;
        totals.steps += actions.length;
        if (actions.length > 0) onActions(actions);
      } catch (error) {
        ctx.logger.error({ err: error, customer: String(id) }, "dunning evaluation failed");
      }
    }
    if (ids.length < BATCH) return totals;
    after = ids.at(-1)!;
  }
}

/** POST /dunning/runs: as_of defaults to now; a future instant only in sandbox mode (time travel). */
export const DunningRunInput = z.object({ as_of: z.iso.datetime({ offset: true }).optional() }).strict();

export const runDunning = defineVerb(DunningRunInput, async ({ ctx, input }) => {
  await requireStaffRole(ctx, ...BILLING_ROLES);
  requireActor(ctx.actor, "admin_key", "env_key", "cli", "system", "staff");
  if (!ctx.config.DUNNING_ENABLED)
    throw new ServiceError("CONFLICT", "dunning is switched off (DUNNING_ENABLED=false)");
  const now = ctx.now();
  const asOf = input.as_of === undefined ? now : new Date(input.as_of);
  if (asOf.getTime() > now.getTime() + FUTURE_TOLERANCE_MS && ctx.solusio?.connection.sandbox !== true)
    throw ServiceError.validation(
      "as_of",
      "a future instant is accepted only in sandbox mode (where it tries what the ladder will do)",
    );
  const steps: DunningAction[] = [];
  const totals = await evaluateAllDunning(ctx, asOf, (a) => steps.push(...a));
  return { as_of: asOf, customers_evaluated: totals.customers, steps };
});
