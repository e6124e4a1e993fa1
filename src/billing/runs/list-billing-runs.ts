import { type Page, fetchPage } from "../../kernel/pagination.ts";
import { type BillingRun, BillingRunListQuery, presentBillingRun } from "./billing-run-schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { storedErrorWords } from "../../services/setup/stored-error-words.ts";
import { READ_ROLES, requireStaffRole, seesWhereSystemsAre } from "../../services/staff/staff-roles.ts";

/** Newest first. */
export const listBillingRuns = defineVerb(
  BillingRunListQuery,
  async ({ ctx, input }): Promise<Page<BillingRun>> => {
    const seesWhere = seesWhereSystemsAre(ctx, await requireStaffRole(ctx, ...READ_ROLES));
    let q = ctx.db.selectFrom("billing_run");
    if (input.period) q = q.where("period", "=", input.period);
    return fetchPage(
      q,
      input,
      (f) => f.selectAll().orderBy("started_at", "desc").orderBy("id"),
      // Below admin with addresses hidden, as getBillingRun.
      (row) => presentBillingRun({ ...row, error: storedErrorWords(row.error, seesWhere) }),
    );
  },
);
