import { periodBefore } from "../../domain/periods.ts";
import type { Tx } from "../../kernel/context.ts";
import type { Anomaly } from "./anomaly.ts";

/**
 * A period with no usage at all, after one that was invoiced, is far more often a wrong or empty SolusIO
 * (or a broken usage endpoint) than a month in which every customer stopped at once: the run completes,
 * but says so loudly instead of looking like an ordinary quiet month.
 */
export async function noUsageAnomaly(db: Tx, period: string, usageRecords: number): Promise<Anomaly[]> {
  if (usageRecords > 0) return [];
  const previous = periodBefore(period);
  const row = await db
    .selectFrom("invoice")
    .select((eb) => eb.fn.countAll<bigint>().as("n"))
    .where("period", "=", previous)
    .where("status", "<>", "void")
    .executeTakeFirstOrThrow();
  if (row.n === 0n) return [];
  return [
    {
      kind: "no_usage",
      message:
        `no usage at all was imported for ${period}, while ${previous} has ${row.n} invoices: check that ` +
        "this is the right SolusIO (`tokenbill solusio doctor`) and that its usage endpoint answers, then " +
        "re-run the period if usage was missing",
      details: { previous_period: previous, previous_invoices: Number(row.n) },
    },
  ];
}
