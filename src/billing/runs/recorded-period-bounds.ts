import { type Kysely, sql, type Transaction } from "kysely";
import type { Database } from "../../db/schema.ts";
import {
  type RecordedBounds,
  type RecordedOf,
  type TiledBounds,
  tiledMonthSoFar,
  tiledPeriodBounds,
} from "../../domain/period-tiling.ts";
import { periodAfter, periodBefore, periodOf } from "../../domain/periods.ts";

// Held while a run's bounds are chosen and its row written, so that two first runs of neighbouring months
// (or of one month) started at once by processes in different zones cannot both miss the other's row.
const BOUNDS_LOCK = 0x7b_b0_0d; // a constant of our own, unlike poll-servers.ts' POLL_LOCK

/**
 * The bounds the first run of each of `periods` recorded. Only the first: every later one was given its
 * bounds (before 2026-12-06 a later run in another zone could record others; its month's invoices were first
 * made with the first run's).
 */
async function firstRunBounds(db: Kysely<Database>, periods: readonly string[]): Promise<RecordedOf> {
  const rows = await db
    .selectFrom("billing_run")
    .distinctOn("period")
    .select(["period", "period_start", "period_end", "time_zone"])
    .where("period", "in", [...periods])
    .orderBy("period")
    .orderBy("started_at")
    .orderBy("id")
    .execute();
  const byPeriod = new Map<string, RecordedBounds>(
    rows.map((r) => [r.period, { start: r.period_start, end: r.period_end, timeZone: r.time_zone }]),
  );
  return (period) => byPeriod.get(period);
}

/**
 * The bounds a new run of `period` bills (period-tiling.ts), from the first run recorded for it and for the
 * months around it. Call it in the transaction that inserts the run's row.
 */
export async function recordedPeriodBounds(
  trx: Transaction<Database>,
  period: string,
  timeZone: string,
): Promise<TiledBounds> {
  await sql`SELECT pg_advisory_xact_lock(${BOUNDS_LOCK})`.execute(trx);
  const previous = periodBefore(period);
  const next = periodAfter(period);
  const of = await firstRunBounds(trx, [previous, period, next]);
  return tiledPeriodBounds(period, timeZone, { own: of(period), previous: of(previous), next: of(next) });
}

/** The recorded bounds that decide `period`'s: its own and its neighbours'. */
export function recordedBoundsOf(db: Kysely<Database>, period: string): Promise<RecordedOf> {
  return firstRunBounds(db, [periodBefore(period), period, periodAfter(period)]);
}

/**
 * The recorded bounds that can decide which period holds `instant` (tiledPeriodAt): those of its calendar
 * month in `timeZone` and of the two months on either side. For what only reads them (the schedule, the
 * estimates): no lock, as a run started meanwhile records the bounds these give.
 */
export function recordedBoundsAround(
  db: Kysely<Database>,
  instant: Date,
  timeZone: string,
): Promise<RecordedOf> {
  const calendar = periodOf(instant, timeZone);
  const before = periodBefore(calendar);
  const after = periodAfter(calendar);
  return firstRunBounds(db, [periodBefore(before), before, calendar, after, periodAfter(after)]);
}

/**
 * The month so far at `now`, bounded as its billing run will bound it: after a change of BILLING_TIME_ZONE
 * it starts where the month billed before it ended, not at the new zone's midnight (period-tiling.ts).
 */
export async function currentMonthSoFar(
  db: Kysely<Database>,
  now: Date,
  timeZone: string,
): Promise<{ period: string; start: Date; end: Date }> {
  return tiledMonthSoFar(now, timeZone, await recordedBoundsAround(db, now, timeZone));
}
