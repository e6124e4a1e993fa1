import { ServiceError } from "../../kernel/errors.ts";
import { type BillingRun, presentBillingRun, RunIdParams } from "./billing-run-schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

export const getBillingRun = defineVerb(RunIdParams, async ({ ctx, input }): Promise<BillingRun> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  const row = await ctx.db
    .selectFrom("billing_run")
    .selectAll()
    .where("id", "=", input.id)
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`billing run ${input.id}`);
  return presentBillingRun(row);
});
