import { ServiceError } from "../../errors.ts";
import type { VerbArgs } from "../../services/context.ts";
import { type BillingRun, presentBillingRun } from "./billing-run-schemas.ts";

export async function getBillingRun({ ctx, input }: VerbArgs<{ id: string }>): Promise<BillingRun> {
  const row = await ctx.db
    .selectFrom("billing_run")
    .selectAll()
    .where("id", "=", input.id)
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`billing run ${input.id}`);
  return presentBillingRun(row);
}
