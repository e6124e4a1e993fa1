import { type Page, fetchPage } from "../../kernel/pagination.ts";
import { AnomalyListQuery, type BillingAnomaly, presentAnomaly, RunIdParams } from "./billing-run-schemas.ts";
import { getBillingRun } from "./get-billing-run.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

/** The anomalies a run reported, in the order it found them. */
export const listBillingAnomalies = defineVerb(
  AnomalyListQuery.extend(RunIdParams.shape),
  async ({ ctx, input }): Promise<Page<BillingAnomaly>> => {
    await requireStaffRole(ctx, ...READ_ROLES);
    await getBillingRun({ ctx, input: { id: input.id } });
    let q = ctx.db.selectFrom("billing_anomaly").where("billing_run_id", "=", input.id);
    if (input.kind) q = q.where("kind", "=", input.kind);
    return fetchPage(q, input, (f) => f.selectAll().orderBy("id"), presentAnomaly);
  },
);
