import { z } from "zod";
import { requireActor } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { isoInstant } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { calendarDate } from "../runs/calendar-date.ts";
import { dunningCandidates } from "./dunning-candidates.ts";
import { firstStepDays } from "./dunning-ladder.ts";
import { type DunningAction, evaluateCustomerDunning } from "./evaluate-dunning.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

const BATCH = 500;
/**
 * Customers evaluated at once, each in its own transaction. An evaluation is some fifteen small statements,
 * each waiting on the database in turn, so one at a time left the database's other cores idle: on this
 * 2-core machine 3,000 overdue customers took 26–30 s one at a time and 14–15 s at 2, 4 or 8 at once
 * (docs/performance.md). Never more than half the pool, which requests and jobs share.
 */
const AT_ONCE = 4;
/**
 * Steps a run through the API or the command line lists, in customer order; `steps_total` counts them all.
 * A first round over a large book takes hundreds of thousands (five a customer on the default ladder), which
 * would all be held for one answer; every step is a row of `dunning_step` anyway.
 */
export const STEPS_LISTED = 1_000;
/** A clock a little ahead of ours is not "the future": as_of = the caller's now must pass. */
const FUTURE_TOLERANCE_MS = 60_000;

export interface DunningRunTotals {
  customers: number;
  steps: number;
}

/** The process is stopping: the run stopped after a whole page; a new run takes every step still due. */
export class DunningInterrupted extends Error {
  constructor() {
    super("interrupted: the process was stopping; the next round evaluates the rest");
    this.name = "DunningInterrupted";
  }
}

/**
 * Evaluates every customer who may need dunning, as of `asOf`, one transaction per customer, AT_ONCE at a
 * time (a failure is logged and the run goes on: the next round, or the customer's next payment, tries
 * again). Memory stays bounded: one page of ids at a time, and each customer's steps go to `onActions`,
 * in customer order, rather than into a list. Stops before its next page once `ctx.signal` is aborted.
 */
export async function evaluateAllDunning(
  ctx: ServiceContext,
  asOf: Date,
  onActions: (actions: DunningAction[]) => void = () => {},
  options: { pageSize?: number } = {},
): Promise<DunningRunTotals> {
  const totals: DunningRunTotals = { customers: 0, steps: 0 };
  const first = firstStepDays(ctx.config.DUNNING_LADDER);
  if (first === undefined) return totals;
  const today = calendarDate(asOf, ctx.config.BILLING_TIME_ZONE);
  const limit = options.pageSize ?? BATCH;
  const atOnce = Math.max(1, Math.min(AT_ONCE, Math.floor(ctx.config.DATABASE_POOL_SIZE / 2)));
  for (let after = 0n; ; ) {
    if (ctx.signal?.aborted) throw new DunningInterrupted();
    const ids = await dunningCandidates(ctx.db, {
      after,
      limit,
      today,
      firstStepDays: first,
      openEpisodesOnly: !ctx.config.DUNNING_ENABLED,
    });
    const outcomes = await evaluatePage(ctx, ids, asOf, atOnce);
    for (const actions of outcomes) {
      if (actions === undefined) continue;
      totals.customers++;
      totals.steps += actions.length;
      if (actions.length > 0) onActions(actions);
    }
    if (ids.length < limit) return totals;
    after = ids.at(-1)!;
  }
}

/** Each customer's steps, by position in `ids`; undefined where the evaluation failed (logged). */
async function evaluatePage(
  ctx: ServiceContext,
  ids: bigint[],
  asOf: Date,
  atOnce: number,
): Promise<(DunningAction[] | undefined)[]> {
  const outcomes = new Array<DunningAction[] | undefined>(ids.length);
  let next = 0;
  const evaluateInTurn = async () => {
    for (let i = next++; i < ids.length; i = next++) {
      try {
        outcomes[i] = await evaluateCustomerDunning(ctx, ids[i]!, asOf);
      } catch (error) {
        ctx.logger.error({ err: error, customer: String(ids[i]) }, "dunning evaluation failed");
      }
    }
  };
  await Promise.all(Array.from({ length: atOnce }, evaluateInTurn));
  return outcomes;
}

/** POST /dunning/runs: as_of defaults to now; a future instant only in sandbox mode (time travel). */
export const DunningRunInput = z
  .object({
    // Within the years PostgreSQL stores (src/kernel/schemas.ts): it is compared with timestamptz columns.
    as_of: isoInstant.optional(),
  })
  .strict();

export const runDunning = defineVerb(DunningRunInput, async ({ ctx, input }) => {
  await requireStaffRole(ctx, ...BILLING_ROLES);
  requireActor(ctx.actor, "admin_key", "env_key", "cli", "system", "staff");
  if (!ctx.config.DUNNING_ENABLED)
    throw new ServiceError("CONFLICT", "dunning is switched off (DUNNING_ENABLED=false)");
  const now = ctx.now();
  const asOf = input.as_of ?? now;
  if (asOf.getTime() > now.getTime() + FUTURE_TOLERANCE_MS && ctx.solusio?.connection.sandbox !== true)
    throw ServiceError.validation(
      "as_of",
      "a future instant is accepted only in sandbox mode (where it tries what the ladder will do)",
    );
  const steps = stepList(STEPS_LISTED);
  try {
    const totals = await evaluateAllDunning(ctx, asOf, steps.add);
    return {
      as_of: asOf,
      customers_evaluated: totals.customers,
      steps_total: totals.steps,
      steps: steps.listed,
    };
  } catch (error) {
    if (!(error instanceof DunningInterrupted)) throw error;
    // What was done stays done (each customer committed whole); a 503 says to come back.
    throw ServiceError.unavailable(
      `tokenbill is stopping: the dunning run stopped after ${steps.taken()} steps; run it again to take the rest`,
      "staff",
    );
  }
});

/** The first `limit` steps added, and how many were added in all. */
export function stepList(limit: number) {
  const listed: DunningAction[] = [];
  let taken = 0;
  return {
    listed,
    taken: () => taken,
    add: (actions: DunningAction[]) => {
      taken += actions.length;
      listed.push(...actions.slice(0, Math.max(0, limit - listed.length)));
    },
  };
}
