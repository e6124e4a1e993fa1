import { ABANDONED_AFTER_MS } from "./start-billing-run.ts";
import { NOTHING_RECORDED, type RecordedOf, tiledPeriodAt } from "../../domain/period-tiling.ts";
import { periodBefore } from "../../domain/periods.ts";
import type { ServiceContext } from "../../kernel/context.ts";

// The schedule of billing-rules §5: a period is billed once it has ended plus the grace window for late usage.
// src/app/schedules.ts fires it (one slot per period); this file says which period is due and whether it
// still needs a run. A period ends where its run will end it (period-tiling.ts): after a change of
// BILLING_TIME_ZONE, the month in progress began where the month billed before it ended, so `recordedOf`
// (the billed months' bounds, recordedBoundsAround) decides which period holds an instant.

/**
 * The next run the schedule calls for after `now`: the first period whose end plus grace is still ahead, the
 * one holding `now − grace`, and when it may start.
 */
export function nextScheduledRun(
  now: Date,
  timeZone: string,
  graceMs: number,
  recordedOf: RecordedOf = NOTHING_RECORDED,
): { period: string; at: Date } {
  const { period, end } = tiledPeriodAt(new Date(now.getTime() - graceMs), timeZone, recordedOf);
  return { period, at: new Date(end.getTime() + graceMs) };
}

/**
 * The latest period that is due at `now` (its end plus grace has passed): the one before the period holding
 * `now − grace`. Until 2026-12-06 only the month before `now`'s was looked at, and nothing in its grace
 * window, so with a grace of 28 days or more a month whose due instant fell in the month after next was never
 * due at all (at 30 days: January, March, May, August and October). Until 2026-12-06 too, the period holding
 * it was the zone's calendar month, whatever the months billed before had recorded: a month whose first run
 * (failed, say) recorded Europe/Berlin's end, 10-31T23:00Z, was due again under America/New_York only after
 * New York's, 11-01T04:00Z.
 */
export function duePeriod(
  now: Date,
  timeZone: string,
  graceMs: number,
  recordedOf: RecordedOf = NOTHING_RECORDED,
): string {
  return periodBefore(tiledPeriodAt(new Date(now.getTime() - graceMs), timeZone, recordedOf).period);
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
