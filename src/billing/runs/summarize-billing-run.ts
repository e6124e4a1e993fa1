import { sql } from "kysely";
import type { Tx } from "../../kernel/context.ts";
import type { BillingSummary } from "./billing-run-schemas.ts";

export interface RunCounts {
  runId: string;
  period: string;
  periodStart: Date;
  periodEnd: Date;
  timeZone: string;
  boundsWarning: string | null;
  source: string;
  usageRecords: number;
  customers: number;
  created: number;
  alreadyPresent: number;
  finalized: number;
  startedAt: Date;
  finishedAt: Date;
}

/** The end-of-run report: this run's counts, the whole period's invoices and totals, anomalies by kind. */
export async function summarizeBillingRun(db: Tx, counts: RunCounts): Promise<BillingSummary> {
  const [statuses, totals, anomalies] = await Promise.all([
    db
      .selectFrom("invoice")
      .select(["status", (eb) => eb.fn.countAll<bigint>().as("n")])
      .where("period", "=", counts.period)
      .groupBy("status")
      .execute(),
    db
      .selectFrom("invoice")
      .select([
        "currency_code",
        (eb) => eb.fn.countAll<bigint>().as("invoices"),
        sql<string>`sum(subtotal)::text`.as("subtotal"),
        sql<string>`sum(discount_total)::text`.as("discounts"),
        sql<string>`sum(tax_total)::text`.as("taxes"),
        sql<string>`sum(total)::text`.as("total"),
      ])
      .where("period", "=", counts.period)
      .where("status", "<>", "void")
      .groupBy("currency_code")
      .orderBy("currency_code")
      .execute(),
    db
      .selectFrom("billing_anomaly")
      .select(["kind", (eb) => eb.fn.countAll<bigint>().as("n")])
      .where("billing_run_id", "=", counts.runId)
      .groupBy("kind")
      .orderBy("kind")
      .execute(),
  ]);
  const byKind = Object.fromEntries(anomalies.map((a) => [a.kind, Number(a.n)]));
  return {
    run_id: counts.runId,
    period: counts.period,
    period_start: counts.periodStart.toISOString(),
    period_end: counts.periodEnd.toISOString(),
    time_zone: counts.timeZone,
    bounds_warning: counts.boundsWarning,
    source: counts.source,
    state: "completed",
    usage_records: counts.usageRecords,
    customers: counts.customers,
    invoices: {
      created: counts.created,
      already_present: counts.alreadyPresent,
      finalized: counts.finalized,
      by_status: Object.fromEntries(statuses.map((s) => [s.status, Number(s.n)])),
    },
    totals: totals.map((t) => ({
      currency: t.currency_code,
      invoices: Number(t.invoices),
      subtotal: BigInt(t.subtotal),
      discounts: BigInt(t.discounts),
      taxes: BigInt(t.taxes),
      total: BigInt(t.total),
    })),
    anomalies: { total: Object.values(byKind).reduce((a, b) => a + b, 0), by_kind: byKind },
    duration_ms: counts.finishedAt.getTime() - counts.startedAt.getTime(),
  };
}
