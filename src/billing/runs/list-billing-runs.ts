import type { VerbArgs } from "../../services/context.ts";
import { offsetOf, type Page, pageOf } from "../../services/pagination.ts";
import { type BillingRun, type BillingRunListQuery, presentBillingRun } from "./billing-run-schemas.ts";

/** Newest first. */
export async function listBillingRuns({
  ctx,
  input,
}: VerbArgs<BillingRunListQuery>): Promise<Page<BillingRun>> {
  let q = ctx.db.selectFrom("billing_run");
  if (input.period) q = q.where("period", "=", input.period);
  const [rows, count] = await Promise.all([
    q
      .selectAll()
      .orderBy("started_at", "desc")
      .orderBy("id")
      .limit(input.per_page)
      .offset(offsetOf(input))
      .execute(),
    q.select((eb) => eb.fn.countAll<bigint>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return pageOf(rows.map(presentBillingRun), count.n, input);
}
