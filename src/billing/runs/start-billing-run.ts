import { randomBytes } from "node:crypto";
import { NOTHING_RECORDED, type RecordedOf, tiledBoundsOf } from "../../domain/period-tiling.ts";
import { parsePeriod } from "../../domain/periods.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { recordAudit } from "../../kernel/audit.ts";
import { actorLabel } from "../../kernel/actor.ts";
import type { ServiceContext, VerbArgs } from "../../kernel/context.ts";
import { type BillingRun, presentBillingRun } from "./billing-run-schemas.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";
import { recordedBoundsOf, recordedPeriodBounds } from "./recorded-period-bounds.ts";

/**
 * A run that has not moved for this long was killed: a new run of its period marks it failed, and the
 * schedule no longer counts it as alive.
 */
export const ABANDONED_AFTER_MS = 10 * 60_000;

/**
 * The bounds of `period` when it may be billed: a month written YYYY-MM that has ended, grace window included
 * (billing-rules §5); billing an open month would freeze partial usage into invoices that can never change.
 * Callers check it before anything else (SolusIO's binding, the usage source's configuration), so that a
 * mistyped period is what they are told of, and nothing is written for it. The end is the one its run will
 * have (period-tiling.ts) with `recordedOf`, the months' recorded bounds (billablePeriodNow reads them);
 * without it, the calendar month's in BILLING_TIME_ZONE.
 */
export function billablePeriod(
  ctx: ServiceContext,
  period: string,
  recordedOf: RecordedOf = NOTHING_RECORDED,
): { start: Date; end: Date } {
  const { start, end } = tiledBoundsOf(period, ctx.config.BILLING_TIME_ZONE, recordedOf);
  refuseBeforeItsEnd(ctx, period, end);
  return { start, end };
}

function refuseBeforeItsEnd(ctx: ServiceContext, period: string, end: Date): void {
  const opensAt = new Date(end.getTime() + ctx.config.BILLING_GRACE_MS);
  if (ctx.now() < opensAt) {
    throw ServiceError.validation(
      "period",
      `${period} cannot be billed before ${opensAt.toISOString()} (its end in ${ctx.config.BILLING_TIME_ZONE} plus the grace window)`,
    );
  }
}

/**
 * billablePeriod with the bounds the period's run will have: after a change of BILLING_TIME_ZONE a month ends
 * where its first run recorded, or where the month after it began, not at the new zone's month end. The
 * period's form is checked before the database is read.
 */
export async function billablePeriodNow(
  ctx: ServiceContext,
  period: string,
): Promise<{ start: Date; end: Date }> {
  parsePeriod(period);
  return billablePeriod(ctx, period, await recordedBoundsOf(ctx.db, period));
}

/**
 * Creates a billing run for a period that may be billed (billablePeriod), with the bounds the period's first
 * run recorded, or that meet its billed neighbours' (recorded-period-bounds.ts): so a change of
 * BILLING_TIME_ZONE between runs bills no hour twice and leaves none out.
 */
export async function startBillingRun({
  ctx,
  input,
}: VerbArgs<{ period: string; source: string }>): Promise<BillingRun> {
  await requireStaffRole(ctx, ...BILLING_ROLES);
  parsePeriod(input.period);
  const now = ctx.now();
  const timeZone = ctx.config.BILLING_TIME_ZONE;
  return withTransaction(ctx, async (tx) => {
    const trx = tx.db;
    const bounds = await recordedPeriodBounds(trx, input.period, timeZone);
    // With the bounds chosen under the lock: a neighbour's first run may have recorded since it was checked.
    refuseBeforeItsEnd(ctx, input.period, bounds.end);
    await trx
      .updateTable("billing_run")
      .set({ state: "failed", error: "abandoned: no progress for 10 minutes (killed?)", finished_at: now })
      .where("period", "=", input.period)
      .where("state", "=", "running")
      .where("heartbeat_at", "<", new Date(now.getTime() - ABANDONED_AFTER_MS))
      .execute();
    const row = await trx
      .insertInto("billing_run")
      .values({
        id: `run_${randomBytes(8).toString("hex")}`,
        period: input.period,
        period_start: bounds.start,
        period_end: bounds.end,
        time_zone: timeZone,
        bounds_warning: bounds.warning,
        source: input.source,
        actor: actorLabel(ctx.actor),
        started_at: now,
        heartbeat_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const run = presentBillingRun(row);
    if (bounds.warning) ctx.logger.warn({ runId: row.id, period: input.period }, bounds.warning);
    await recordAudit(trx, ctx, {
      action: "create",
      entity: "billing_run",
      entityId: row.id,
      before: null,
      after: run,
    });
    return run;
  });
}
