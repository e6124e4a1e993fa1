import type { VerbArgs } from "../../services/context.ts";
import { offsetOf, type Page, pageOf } from "../../services/pagination.ts";
import { type AnomalyListQuery, type BillingAnomaly, presentAnomaly } from "./billing-run-schemas.ts";
import { getBillingRun } from "./get-billing-run.ts";

/** The anomalies a run reported, in the order it found them. */
export async function listBillingAnomalies({
  ctx,
  input,
}: VerbArgs<AnomalyListQuery & { id: string }>): Promise<Page<BillingAnomaly>> {
  await getBillingRun({ ctx, input: { id: input.id } });
  let q = ctx.db.selectFrom("billing_anomaly").where("billing_run_id", "=", input.id);
  if (input.kind) q = q.where("kind", "=", input.kind);
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy("id").limit(input.per_page).offset(offsetOf(input)).execute(),
    q.select((eb) => eb.fn.countAll<bigint>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return pageOf(rows.map(presentAnomaly), count.n, input);
}
