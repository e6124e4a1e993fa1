import { ABANDONED_AFTER_MS } from "./start-billing-run.ts";
import { periodBefore, periodBounds, periodOf } from "../../domain/periods.ts";
import type { ServiceContext } from "../../kernel/context.ts";

// The schedule of billing-rules §5: a period is billed once it has ended plus the grace window for late usage.
// src/app/schedules.ts fires it (one slot per period); this file says which period is due and whether it
// still needs a run.

/**
 * The next run the schedule calls for after `now`: the first period whose end plus grace is still ahead, the
 * one holding `now − grace`, and when it may start.
 */
export function nextScheduledRun(now: Date, timeZone: string, graceMs: number): { period: string; at: Date } {
  const period = periodOf(new Date(now.getTime() - graceMs), timeZone);
  return { period, at: new Date(periodBounds(period, timeZone).end.getTime() + graceMs) };
}

/**
 * The latest period that is due at `now` (its end plus grace has passed): the one before the period holding
 * `now − grace`. Until 2026-12-06 only the month before `now`'s was looked at, and nothing in its grace
 * window, so with a grace of 28 days or more a month whose due instant fell in the month after next was never
 * due at all (at 30 days: January, March, May, August and October).
 */
export function duePeriod(now: Date, timeZone: string, graceMs: number): string {
  return periodBefore(periodOf(new Date(now.getTime() - graceMs), timeZone));
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
