import { sql, type Transaction } from "kysely";
import type { Database } from "../../db/schema.ts";
import { type RecordedBounds, type TiledBounds, tiledPeriodBounds } from "../../domain/period-tiling.ts";
import { periodAfter, periodBefore } from "../../domain/periods.ts";

// Held while a run's bounds are chosen and its row written, so that two first runs of neighbouring months
// (or of one month) started at once by processes in different zones cannot both miss the other's row.
const BOUNDS_LOCK = 0x7b_b0_0d; // any constant of our own: no other advisory lock is taken

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
  // The first run of each month: every later one was given its bounds (before 2026-12-06 a later run in
  // another zone could record others; its month's invoices were first made with the first run's).
  const rows = await trx
    .selectFrom("billing_run")
    .distinctOn("period")
    .select(["period", "period_start", "period_end", "time_zone"])
    .where("period", "in", [previous, period, next])
    .orderBy("period")
    .orderBy("started_at")
    .orderBy("id")
    .execute();
  const of = (p: string): RecordedBounds | undefined => {
    const row = rows.find((r) => r.period === p);
    return row && { start: row.period_start, end: row.period_end, timeZone: row.time_zone };
  };
  return tiledPeriodBounds(period, timeZone, { own: of(period), previous: of(previous), next: of(next) });
}
