import { periodBounds, periodOf, previousPeriod } from "../../domain/periods.ts";
import type { ServiceContext } from "../../services/context.ts";
import type { GetJson } from "../usage/get-json.ts";
import { launchBillingRun } from "./launch-billing-run.ts";

// The schedule of billing-rules §5: a period is billed once it has ended plus the grace window for late usage.

const RECHECK_MS = 60 * 60_000;
// setTimeout takes at most 2^31 − 1 ms (24.8 days): shorter than a month.
const MAX_TIMER_MS = 2 ** 31 - 1;

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

export interface BillingScheduler {
  stop(): Promise<void>;
  /** Resolves after the check in progress (if any); for tests. */
  idle(): Promise<void>;
}

/**
 * Checks at start, at each scheduled time and at least hourly: when the due period has no completed run
 * and none in progress, it starts one. Several instances may run it: concurrent runs are safe (§5).
 * A failed run is retried at the next check.
 */
export function startBillingScheduler(deps: { ctx: ServiceContext; getJson?: GetJson }): BillingScheduler {
  const { ctx } = deps;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let current: Promise<void> = Promise.resolve();

  const check = async () => {
    const now = ctx.now();
    const period = duePeriod(now, ctx.config.BILLING_TIME_ZONE, ctx.config.BILLING_GRACE_MS);
    if (period === null) return;
    const busy = await ctx.db
      .selectFrom("billing_run")
      .select("id")
      .where("period", "=", period)
      .where((eb) =>
        eb.or([
          eb("state", "=", "completed"),
          eb.and([
            eb("state", "=", "running"),
            eb("heartbeat_at", ">", new Date(now.getTime() - 10 * 60_000)),
          ]),
        ]),
      )
      .executeTakeFirst();
    if (busy) return;
    ctx.logger.info({ period }, "scheduled billing run starting");
    const { done } = await launchBillingRun({
      ctx,
      input: { period },
      ...(deps.getJson ? { getJson: deps.getJson } : {}),
    });
    await done;
  };

  const schedule = () => {
    if (stopped) return;
    const next = nextScheduledRun(ctx.now(), ctx.config.BILLING_TIME_ZONE, ctx.config.BILLING_GRACE_MS);
    const wait = Math.min(MAX_TIMER_MS, RECHECK_MS, Math.max(1000, next.at.getTime() - ctx.now().getTime()));
    timer = setTimeout(tick, wait);
    timer.unref();
  };

  const tick = () => {
    current = check()
      .catch((error: unknown) => ctx.logger.error({ err: error }, "scheduled billing run failed"))
      .finally(schedule);
  };

  tick();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
    idle: () => current,
  };
}
