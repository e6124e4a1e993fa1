import { sql } from "kysely";
import type { BillingStartReason } from "../../db/schema.ts";
import { periodBefore, periodBounds, periodOf } from "../../domain/periods.ts";
import type { ServiceContext } from "../../kernel/context.ts";

// The first period the billing schedule may bill (billing-rules §5 schedules every month; a new install must
// not bill the months before it: a provider moving from another system would bill them twice). Recorded once
// per database (migration 035), the first time the schedule runs on it: the month in progress then, or, on a
// book that already has billing runs, the period of its first run, so that an installation that was billing
// goes on exactly as before; or, on a book without runs that had customers before this version came and
// before the month in progress (an installation that started mid-November and is upgraded on December 2,
// before November's run), the last ended month, which the version it ran would have billed at its end (a
// month further back is billed on request only, as the schedule never catches up on several months).
// BILLING_START_PERIOD, when set, wins over the record. `tokenbill billing run
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
  upgraded_with_customers:
    "the last ended month: this database had customers before it had a billing start and before the month in progress, and no billing run",
};

/** The migration that brought the billing start: a customer created before it was applied predates it. */
const BILLING_START_MIGRATION = "035-billing-start";

/**
 * The billing start, recorded now when the database has none. One statement, so instances that start at once
 * record one start: the others' inserts meet the row's key and keep it.
 */
export async function ensureBillingStart(ctx: ServiceContext): Promise<BillingStart> {
  const configured = ctx.config.BILLING_START_PERIOD;
  const inProgress = periodOf(ctx.now(), ctx.config.BILLING_TIME_ZONE);
  const monthStart = periodBounds(inProgress, ctx.config.BILLING_TIME_ZONE).start;
  // An upgrade, not a new install: a customer created before the month in progress and before migration 035
  // was applied (kysely_migration's timestamp of it). On a new database every customer comes after the
  // migrations, so its first schedule still records the month in progress, whenever its customers came.
  await sql`
    with book as (
      select (select min(period) from billing_run) as first_run,
             exists (
               select 1 from customer
               where created_at < ${monthStart}::timestamptz
                 and created_at < (select "timestamp"::timestamptz from kysely_migration
                                   where name = ${BILLING_START_MIGRATION})
             ) as upgraded)
    insert into billing_start (period, reason)
    select case when ${configured ?? null}::text is not null then ${configured ?? null}::text
                when first_run is not null then first_run
                when upgraded then ${periodBefore(inProgress)}::text
                else ${inProgress}::text end,
           case when ${configured ?? null}::text is not null then 'configured'
                when first_run is not null then 'first_billing_run'
                when upgraded then 'upgraded_with_customers'
                else 'first_schedule' end
    from book
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
