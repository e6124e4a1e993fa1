import type { Selectable } from "kysely";
import { z } from "zod";
import type { BillingAnomalyTable, BillingRunTable } from "../../db/schema.ts";
import { PageQuery } from "../../kernel/pagination.ts";
import { periodString } from "../../kernel/schemas.ts";

const minor = z.bigint().meta({ type: "integer", description: "minor units" });

export const BillingSummary = z.object({
  run_id: z.string(),
  period: z.string(),
  period_start: z.string(),
  period_end: z.string(),
  time_zone: z.string().meta({ description: "the BILLING_TIME_ZONE the run's bounds were computed in" }),
  bounds_warning: z.string().nullable().meta({
    description:
      "why the bounds are not the calendar month in time_zone (BILLING_TIME_ZONE changed since the period or a neighbour was billed); null when they are",
  }),
  source: z.string(),
  state: z.enum(["completed", "failed"]),
  usage_records: z.number().int(),
  customers: z.number().int().meta({ description: "known customers with usage in the period" }),
  invoices: z.object({
    created: z.number().int().meta({ description: "drafts written by this run" }),
    already_present: z
      .number()
      .int()
      .meta({ description: "customers whose invoice an earlier or concurrent run made" }),
    finalized: z.number().int().meta({ description: "drafts this run finalized" }),
    by_status: z.record(z.string(), z.number().int()).meta({ description: "all invoices of the period" }),
  }),
  totals: z
    .array(
      z.object({
        currency: z.string(),
        invoices: z.number().int(),
        subtotal: minor,
        discounts: minor,
        taxes: minor,
        total: minor,
      }),
    )
    .meta({ description: "per currency, minor units, every invoice of the period except void ones" }),
  anomalies: z.object({ total: z.number().int(), by_kind: z.record(z.string(), z.number().int()) }),
  duration_ms: z.number().int(),
});
export type BillingSummary = z.output<typeof BillingSummary>;

export const BillingRun = z.object({
  id: z.string(),
  period: z.string(),
  period_start: z.string(),
  period_end: z.string(),
  time_zone: z.string().nullable().meta({
    description: "the BILLING_TIME_ZONE the bounds were computed in; null for runs before 2026-12-06",
  }),
  bounds_warning: z.string().nullable().meta({
    description:
      'why the bounds are not the calendar month in time_zone (docs/billing-cycle.md, "Changing the billing time zone"); null when they are',
  }),
  source: z.string(),
  state: z.enum(["running", "completed", "failed"]),
  phase: z.enum(["importing", "drafting", "finalizing", "done"]),
  progress: z
    .object({
      processed: z.number().int(),
      total: z.number().int(),
    })
    .meta({ description: "of the current phase: records read, customers drafted, invoices finalized" }),
  started_at: z.string(),
  heartbeat_at: z.string(),
  finished_at: z.string().nullable(),
  error: z.string().nullable(),
  summary: BillingSummary.nullable(),
});
export type BillingRun = z.output<typeof BillingRun>;

export function presentBillingRun(row: Selectable<BillingRunTable>): BillingRun {
  return {
    id: row.id,
    period: row.period,
    period_start: row.period_start.toISOString(),
    period_end: row.period_end.toISOString(),
    time_zone: row.time_zone,
    bounds_warning: row.bounds_warning,
    source: row.source,
    state: row.state,
    phase: row.phase,
    progress: { processed: row.processed, total: row.total },
    started_at: row.started_at.toISOString(),
    heartbeat_at: row.heartbeat_at.toISOString(),
    finished_at: row.finished_at?.toISOString() ?? null,
    error: row.error,
    summary: row.summary ? reviveSummary(row.summary as BillingSummary) : null,
  };
}

/** Amounts come back from jsonb as JSON numbers (or strings beyond 2^53); they are bigint again here. */
function reviveSummary(json: BillingSummary): BillingSummary {
  return {
    ...json,
    bounds_warning: json.bounds_warning ?? null, // summaries written before 2026-12-06 have none
    totals: json.totals.map((t) => ({
      ...t,
      subtotal: BigInt(t.subtotal),
      discounts: BigInt(t.discounts),
      taxes: BigInt(t.taxes),
      total: BigInt(t.total),
    })),
  };
}

// periodString: its bound and its check both say the format, so "October 2026" is told YYYY-MM, not a length.
export const BillingRunCreate = z.object({ period: periodString }).strict();
export type BillingRunCreate = z.output<typeof BillingRunCreate>;

export const BillingRunListQuery = PageQuery.extend({
  period: periodString.optional(),
});
export type BillingRunListQuery = z.output<typeof BillingRunListQuery>;

export const RunIdParams = z.object({
  id: z.string().regex(/^run_[0-9a-f]{1,64}$/, "must be a run id (run_…)"),
});

export const BillingAnomaly = z.object({
  id: z.number().int(),
  run_id: z.string(),
  period: z.string(),
  kind: z.string(),
  customer_id: z.number().int().nullable(),
  billing_user_id: z.number().int().nullable(),
  server_id: z.number().int().nullable(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
  created_at: z.string(),
});
export type BillingAnomaly = z.output<typeof BillingAnomaly>;

export const AnomalyListQuery = PageQuery.extend({ kind: z.string().max(100).optional() });
export type AnomalyListQuery = z.output<typeof AnomalyListQuery>;

export function presentAnomaly(row: Selectable<BillingAnomalyTable>): BillingAnomaly {
  const n = (v: bigint | null) => (v === null ? null : Number(v));
  return {
    id: Number(row.id),
    run_id: row.billing_run_id,
    period: row.period,
    kind: row.kind,
    customer_id: n(row.customer_id),
    billing_user_id: n(row.billing_user_id),
    server_id: n(row.server_id),
    message: row.message,
    details: (row.details ?? {}) as Record<string, unknown>,
    created_at: row.created_at.toISOString(),
  };
}
