import { type Page, fetchPage } from "../../kernel/pagination.ts";
import { type BillingRun, BillingRunListQuery, presentBillingRun } from "./billing-run-schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

/** Newest first. */
export const listBillingRuns = defineVerb(
  BillingRunListQuery,
  async ({ ctx, input }): Promise<Page<BillingRun>> => {
    await requireStaffRole(ctx, ...READ_ROLES);
    let q = ctx.db.selectFrom("billing_run");
    if (input.period) q = q.where("period", "=", input.period);
    return fetchPage(
      q,
      input,
      (f) => f.selectAll().orderBy("started_at", "desc").orderBy("id"),
      presentBillingRun,
    );
  },
);
