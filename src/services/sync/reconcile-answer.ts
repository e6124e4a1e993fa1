import { z } from "zod";
import type { DriftKind, ReconcileReport } from "./reconcile.ts";

/** As every page of the admin API (docs/security.md): a report of the whole book is at most this many rows. */
export const RECONCILE_ROWS = 500;

const Drift = z.object({
  kind: z.string(),
  customer_id: z.number().int().nullable(),
  solusio_user_id: z.number().int().nullable(),
  billing: z.unknown(),
  solusio: z.unknown(),
  reason: z.string().optional(),
});

export const ReconcileAnswer = z.object({
  customers: z.number().int(),
  solusio_users: z.number().int(),
  drift_total: z
    .number()
    .int()
    .meta({ description: "Every drift found, of which `drift` lists the first 500" }),
  drift_by_kind: z.record(z.string(), z.number().int()).meta({ description: "Every drift found, by kind" }),
  drift: z
    .array(Drift)
    .meta({ description: "The first 500 drifts, customers in id order, then SolusIO's users" }),
  fixed_total: z
    .number()
    .int()
    .meta({ description: "Customers queued for a sync (fix), of which `fixed` lists 500" }),
  fixed: z.array(z.number().int()),
  note: z
    .string()
    .optional()
    .meta({ description: "Present when a list was cut: how many were left out, and where to see them all" }),
});
export type ReconcileAnswer = z.output<typeof ReconcileAnswer>;

/**
 * The API's answer to a reconcile: the counts in full, the lists cut at 500 rows, and a note when they were.
 * The CLI (`tokenbill solusio reconcile --json`) prints the whole report.
 */
export function reconcileAnswer(report: ReconcileReport, rows = RECONCILE_ROWS): ReconcileAnswer {
  const byKind: Partial<Record<DriftKind, number>> = {};
  for (const d of report.drift) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
  const cut = [
    report.drift.length > rows ? `${report.drift.length - rows} more drifts` : "",
    report.fixed.length > rows ? `${report.fixed.length - rows} more customers queued` : "",
  ].filter((part) => part !== "");
  return {
    customers: report.customers,
    solusio_users: report.solusio_users,
    drift_total: report.drift.length,
    drift_by_kind: byKind,
    drift: report.drift.slice(0, rows),
    fixed_total: report.fixed.length,
    fixed: report.fixed.slice(0, rows),
    ...(cut.length > 0
      ? {
          note: `${cut.join(" and ")} than listed here; \`tokenbill solusio reconcile --json\` lists them all`,
        }
      : {}),
  };
}
