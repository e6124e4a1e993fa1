import { pollsServers, readsActivity } from "../billing/usage/usage-sources-from-config.ts";
import { duePeriod, nextScheduledRun } from "../billing/runs/billing-scheduler.ts";
import { recordedBoundsAround } from "../billing/runs/recorded-period-bounds.ts";
import {
  type BillingStart,
  describeBillingStart,
  ensureBillingStart,
} from "../billing/runs/billing-start.ts";
import { NOTHING_RECORDED, type RecordedOf } from "../domain/period-tiling.ts";
import type { Config } from "../config.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { runnerFor } from "./runner.ts";
import { checkedPayload } from "../jobs/enqueue-job.ts";
import type { JobKind, JobPayload } from "../jobs/job-payloads.ts";
import type { JobRunner, StopOptions } from "../jobs/job-runner.ts";
import { slotStamp, slotStart, startClock } from "../jobs/schedule-clock.ts";

// All work that happens on a clock: when each schedule fires and which slot a firing claims. A firing
// writes its slot's job, claimed by this process, and runs it at once (JobRunner.runSlot). A slot is
// unique in the job table, so a schedule firing twice, or on two instances, does the work once. What the
// work is, how often it is retried and how long it may take are the kinds' (catalog.ts); the schedules'
// runner also retries failed firings and takes over those of a crashed instance.

/** The job a firing claims: its kind, its slot (`billing:2026-10`) and its payload. */
type SlotJob = { [K in JobKind]: { kind: K; slot: string; payload: JobPayload<K> } }[JobKind];

/**
 * What the billing schedule reads from the database before each firing: where its months end (the bounds their
 * runs recorded, period-tiling.ts) and the first period it may bill (billing-start.ts).
 */
export interface ScheduleFacts {
  recorded: RecordedOf;
  start?: BillingStart | undefined;
}

const NO_FACTS: ScheduleFacts = { recorded: NOTHING_RECORDED };

interface Schedule {
  /** Whether it runs in this context. */
  enabled(ctx: ServiceContext): boolean;
  /** The first firing, for a start at `now`. */
  first(now: Date, config: Config): Date;
  /** What `slot` and `next` need from the database, read before each firing and again after it. */
  read?(ctx: ServiceContext, now: Date): Promise<ScheduleFacts>;
  /** The slot due at `now`, or null when nothing is. */
  slot(now: Date, config: Config, facts?: ScheduleFacts): SlotJob | null;
  /** The next firing after one at `now`. */
  next(now: Date, config: Config, facts?: ScheduleFacts): Date;
}

const HOUR = 3_600_000;

/** Every `intervalMs`, in slots aligned to the Unix epoch; `atStart` fires at once, else a full interval on. */
function every(spec: {
  enabled(ctx: ServiceContext): boolean;
  intervalMs(config: Config): number;
  slot(stamp: string): SlotJob;
  atStart: boolean;
}): Schedule {
  return {
    enabled: spec.enabled,
    first: (now, c) => (spec.atStart ? now : new Date(now.getTime() + spec.intervalMs(c))),
    slot: (now, c) => spec.slot(slotStamp(slotStart(now, spec.intervalMs(c)))),
    next: (now, c) => new Date(slotStart(now, spec.intervalMs(c)).getTime() + spec.intervalMs(c)),
  };
}

export const SCHEDULES = {
  /**
   * billing-rules §5: a period is billed once its end plus BILLING_GRACE_MS has passed. Looked at then and
   * hourly; the slot is the period, so each period gets one scheduled run (retried as its kind says). A
   * period ends where its run will end it: after a change of BILLING_TIME_ZONE the month in progress began
   * where the month billed before it ended (the recorded bounds around `now − grace`). A period before the
   * billing start (billing-start.ts: the month in progress at the first firing on a new database) is never
   * due: a first start on December 6 bills December at its end, not November at once.
   */
  billing: {
    enabled: () => true,
    first: (now) => now,
    read: async (ctx, now) => ({
      recorded: await recordedBoundsAround(
        ctx.db,
        new Date(now.getTime() - ctx.config.BILLING_GRACE_MS),
        ctx.config.BILLING_TIME_ZONE,
      ),
      start: await ensureBillingStart(ctx),
    }),
    slot: (now, c, { recorded, start } = NO_FACTS) => {
      // The latest due period: one slot each, so a period already scheduled is not scheduled again.
      const period = duePeriod(now, c.BILLING_TIME_ZONE, c.BILLING_GRACE_MS, recorded);
      if (start && period < start.period) return null;
      return { kind: "billing.scheduled_run", slot: `billing:${period}`, payload: { period } };
    },
    next: (now, c, { recorded } = NO_FACTS) => {
      const due = nextScheduledRun(now, c.BILLING_TIME_ZONE, c.BILLING_GRACE_MS, recorded).at.getTime();
      return new Date(Math.min(due, now.getTime() + HOUR));
    },
  },
  /**
   * One poll of GET servers and/or the activity log per SERVER_POLL_INTERVAL_MS, while snapshots or the log
   * are a usage source (billed or cross-checked).
   */
  "server poll": every({
    enabled: (ctx) => ctx.solusio !== undefined && (pollsServers(ctx.config) || readsActivity(ctx.config)),
    intervalMs: (c) => c.SERVER_POLL_INTERVAL_MS,
    slot: (stamp) => ({ kind: "solusio.poll_servers", slot: `poll:${stamp}`, payload: {} }),
    atStart: true,
  }),
  /** Reconciliation (a report; drift is never fixed unasked) per RECONCILE_INTERVAL_MS; 0 turns it off. */
  reconciliation: every({
    enabled: (ctx) => ctx.solusio !== undefined && ctx.config.RECONCILE_INTERVAL_MS > 0,
    intervalMs: (c) => c.RECONCILE_INTERVAL_MS,
    slot: (stamp) => ({ kind: "solusio.reconcile", slot: `reconcile:${stamp}`, payload: {} }),
    // The first round waits a full interval: at start, freshly queued syncs would show up as drift.
    atStart: false,
  }),
  /**
   * Dunning (billing-rules §8) once an hour: a rung falls due at midnight in BILLING_TIME_ZONE, and the hour
   * slot (`dunning:2026-11-29T13:00`) makes each round run once across instances; each step is once per
   * episode anyway (src/billing/dunning). It runs with DUNNING_ENABLED=false too: then it takes no rung but
   * ends the episodes of customers who paid, lifting what dunning imposed.
   */
  dunning: every({
    enabled: () => true,
    intervalMs: () => HOUR,
    slot: (stamp) => ({ kind: "dunning.scheduled_run", slot: `dunning:${stamp}`, payload: {} }),
    atStart: true,
  }),
} satisfies Record<string, Schedule>;

export type ScheduleName = keyof typeof SCHEDULES;

const ALL = Object.keys(SCHEDULES) as ScheduleName[];

export interface RunningSchedules {
  /** Stops the clocks and the schedules' runner; `giveBackAfter` as for JobRunner.stop. */
  stop(options?: StopOptions): Promise<void>;
  /** Resolves after the firings in progress, if any (tests). */
  idle(): Promise<void>;
}

/**
 * Starts the schedules (all, or the ones named) that are enabled in `ctx`; their work acts in `ctx` (its
 * clock, actor and SolusIO). `serve` starts them all when SolusIO is configured.
 */
export function startSchedules(
  scheduledIn: ServiceContext,
  names: readonly ScheduleName[] = ALL,
): RunningSchedules {
  // Aborted at stop, so that a billing run in progress stops at its next batch and its job is taken up again
  // at once, by another instance or by this one once restarted (scheduled-tasks.ts), where waiting for it
  // would outlast serve's 10 s to stop and leave it to be found abandoned 10 minutes later.
  const stopping = new AbortController();
  const ctx: ServiceContext = { ...scheduledIn, signal: stopping.signal };
  // Retries (an hour apart at the soonest) and takeovers (after JOB_LOCK_SECONDS) do not need a fast poll.
  const runner = runnerFor(ctx, "scheduled", { pollMs: 5_000 });
  runner.start();
  const clocks = names
    .filter((name) => SCHEDULES[name].enabled(ctx))
    .map((name) => {
      const schedule: Schedule = SCHEDULES[name];
      // Read before the slot is chosen, and again after the work for `next`: a billing run the firing made
      // records its month's bounds. A read that fails before fails the firing (logged); one after leaves the
      // last read to `next`, a firing at most an hour away reading again.
      let facts: ScheduleFacts = NO_FACTS;
      let announced: string | undefined;
      const read = async () => {
        if (!schedule.read) return;
        facts = await schedule.read(ctx, ctx.now());
        // Said once, and again only should it change (BILLING_START_PERIOD is read at start: a restart).
        const start = facts.start && describeBillingStart(facts.start);
        if (start !== undefined && start !== announced) {
          announced = start;
          ctx.logger.info({ period: facts.start?.period, reason: facts.start?.reason }, start);
        }
      };
      return startClock({
        name,
        logger: ctx.logger,
        now: ctx.now,
        first: schedule.first(ctx.now(), ctx.config),
        next: (now) => schedule.next(now, ctx.config, facts),
        fire: async () => {
          await read();
          try {
            await fire(ctx, runner, schedule.slot(ctx.now(), ctx.config, facts));
          } finally {
            await read().catch(() => {});
          }
        },
      });
    });
  return {
    stop: async (options = {}) => {
      stopping.abort();
      // Side by side: a clock's stop waits for its firing's job (runSlot), and a handler that hangs ends
      // only by the runner's give-back at the end of the grace.
      await Promise.all([...clocks.map((c) => c.stop()), runner.stop(options)]);
    },
    idle: async () => {
      await Promise.all(clocks.map((c) => c.idle()));
    },
  };
}

async function fire(ctx: ServiceContext, runner: JobRunner, job: SlotJob | null): Promise<void> {
  if (job === null) return;
  const payload = checkedPayload(job.kind, job.payload);
  const ran = await runner.runSlot({ kind: job.kind, slot: job.slot, payload });
  if (!ran) ctx.logger.debug({ slot: job.slot }, "schedule slot already claimed");
}
