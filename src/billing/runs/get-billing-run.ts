import { ServiceError } from "../../kernel/errors.ts";
import { type BillingRun, presentBillingRun, RunIdParams } from "./billing-run-schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { storedErrorWords } from "../../services/setup/stored-error-words.ts";
import { READ_ROLES, requireStaffRole, seesWhereSystemsAre } from "../../services/staff/staff-roles.ts";

export const getBillingRun = defineVerb(RunIdParams, async ({ ctx, input }): Promise<BillingRun> => {
  const seesWhere = seesWhereSystemsAre(ctx, await requireStaffRole(ctx, ...READ_ROLES));
  const row = await ctx.db
    .selectFrom("billing_run")
    .selectAll()
    .where("id", "=", input.id)
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`billing run ${input.id}`);
  // Below admin with addresses hidden: a run SolusIO failed names its host and port.
  return presentBillingRun({ ...row, error: storedErrorWords(row.error, seesWhere) });
});
