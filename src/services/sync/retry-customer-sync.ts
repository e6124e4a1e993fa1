import { recordAudit } from "../../kernel/audit.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { IdParams } from "../../kernel/schemas.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { ADMIN_ROLES, requireStaffRole } from "../staff/staff-roles.ts";
import { enqueueCustomerSync } from "./enqueue-customer-sync.ts";

/**
 * Queues the customer's sync again (the console's "retry sync"): the job reads the customer's current
 * state, so a retry of a sync that already went through changes nothing in SolusIO. Audited, as it changes
 * the customer's sync state back to pending.
 */
export const retryCustomerSync = defineVerb(IdParams, async ({ ctx, input }): Promise<void> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  await withTransaction(ctx, async (tx) => {
    const before = await tx.db
      .selectFrom("customer")
      .select(["sync_state", "sync_error"])
      .where("id", "=", input.id)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw ServiceError.notFound(`customer ${input.id}`);
    await enqueueCustomerSync(tx.db, input.id);
    await recordAudit(tx.db, tx, {
      action: "update",
      entity: "customer",
      entityId: String(input.id),
      before: { sync: { state: before.sync_state, error: before.sync_error } },
      after: { sync: { state: "pending", error: null }, retried: true },
    });
  });
});
