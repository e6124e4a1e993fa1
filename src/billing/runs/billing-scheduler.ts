import { ABANDONED_AFTER_MS } from "./start-billing-run.ts";
import { periodBounds, periodOf, previousPeriod } from "../../domain/periods.ts";
import type { ServiceContext } from "../../kernel/context.ts";

// The schedule of billing-rules §5: a period is billed once it has ended plus the grace window for late usage.
// src/app/schedules.ts fires it (one slot per period); this file says which period is due and whether it
// still needs a run.

/** The next run the schedule calls for after `now`: the period and when it may start. */
export function nextScheduledRun(now: Date, timeZone: string, graceMs: number): { period: string; at: Date } {
  const previous = previousPeriod(now, timeZone);
  const previousAt = new Date(periodBounds(previous, timeZone).end.getTime() + graceMs);
  if (now < previousAt) return { period: previous, at: previousAt };
  const current = periodOf(now, timeZone);
  return { period: current, at: new Date(periodBounds(current, timeZone).end.getTime() + graceMs) };
}

/** The period that is due at `now` (its end plus grace has passed), or null while in the grace window. */
export function duePeriod(now: Date, timeZone: string, graceMs: number): string | null {
  const previous = previousPeriod(now, timeZone);
  const at = periodBounds(previous, timeZone).end.getTime() + graceMs;
  return now.getTime() >= at ? previous : null;
}

export type BillingState =
  | { state: "completed" }
  /** A live run, in this process or another; `abandonedAt` is when it counts as dead unless it reports progress. */
  | { state: "running"; abandonedAt: Date }
  /** No run, or only failed and dead ones: a run should start. */
  | { state: "open" };

/** Where a period's billing stands. */
export async function billingStateOf(ctx: ServiceContext, period: string): Promise<BillingState> {
  const runs = await ctx.db
    .selectFrom("billing_run")
    .select(["state", "heartbeat_at"])
    .where("period", "=", period)
    .where("state", "in", ["completed", "running"])
    .execute();
  if (runs.some((r) => r.state === "completed")) return { state: "completed" };
  const liveSince = ctx.now().getTime() - ABANDONED_AFTER_MS;
  const latest = Math.max(...runs.map((r) => r.heartbeat_at.getTime()));
  return latest > liveSince
    ? { state: "running", abandonedAt: new Date(latest + ABANDONED_AFTER_MS) }
    : { state: "open" };
}
