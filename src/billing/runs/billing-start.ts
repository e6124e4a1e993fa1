import { sql } from "kysely";
import type { BillingStartReason } from "../../db/schema.ts";
import { periodOf } from "../../domain/periods.ts";
import type { ServiceContext } from "../../kernel/context.ts";

// The first period the billing schedule may bill (billing-rules §5 schedules every month; a new install must
// not bill the months before it: a provider moving from another system would bill them twice). Recorded once
// per database (migration 035), the first time the schedule runs on it: the month in progress then, or, on a
// book that already has billing runs, the period of its first run, so that an installation that was billing
// goes on exactly as before. BILLING_START_PERIOD, when set, wins over the record. `tokenbill billing run
// --period P` and POST /api/v1/billing-runs bill any period: this bounds the schedule only.

export interface BillingStart {
  /** The first period the schedule bills, YYYY-MM. */
  period: string;
  reason: BillingStartReason;
}

const REASONS: Record<BillingStartReason, string> = {
  first_schedule: "the month in progress when the billing schedule first ran on this database",
  first_billing_run: "the period of this database's first billing run",
  configured: "BILLING_START_PERIOD",
};

/**
 * The billing start, recorded now when the database has none. One statement, so instances that start at once
 * record one start: the others' inserts meet the row's key and keep it.
 */
export async function ensureBillingStart(ctx: ServiceContext): Promise<BillingStart> {
  const configured = ctx.config.BILLING_START_PERIOD;
  const inProgress = periodOf(ctx.now(), ctx.config.BILLING_TIME_ZONE);
  await sql`
    insert into billing_start (period, reason)
    select coalesce(${configured ?? null}::text, min(period), ${inProgress}::text),
           case when ${configured ?? null}::text is not null then 'configured'
                when min(period) is not null then 'first_billing_run'
                else 'first_schedule' end
    from billing_run
    on conflict (singleton) do nothing`.execute(ctx.db);
  const recorded = await ctx.db
    .selectFrom("billing_start")
    .select(["period", "reason"])
    .executeTakeFirstOrThrow();
  return configured === undefined ? recorded : { period: configured, reason: "configured" };
}

/**
 * The billing start as it stands, without recording one: BILLING_START_PERIOD, else the recorded row, else
 * undefined (the schedule has not run on this database yet).
 */
export async function currentBillingStart(ctx: ServiceContext): Promise<BillingStart | undefined> {
  const configured = ctx.config.BILLING_START_PERIOD;
  if (configured !== undefined) return { period: configured, reason: "configured" };
  return await ctx.db.selectFrom("billing_start").select(["period", "reason"]).executeTakeFirst();
}

/** The log's line for a start: which period, and why that one. */
export function describeBillingStart(start: BillingStart): string {
  return `the billing schedule bills from ${start.period} on (${REASONS[start.reason]}); an earlier period is billed only on request: tokenbill billing run --period YYYY-MM`;
}
