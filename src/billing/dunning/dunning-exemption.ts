import { enqueue } from "../../jobs/enqueue-job.ts";
import { recordAudit } from "../../kernel/audit.ts";
import { answerIdempotencyKey, claimIdempotencyKey } from "../../kernel/idempotency-key.ts";
import { requireActor } from "../../kernel/actor.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { idOut } from "../../kernel/schemas.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { ExemptionCall } from "./dunning-schemas.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

/**
 * Exempts a customer from dunning, or ends the exemption (billing-rules §8). The reason is kept in the audit
 * log. An exempt customer takes no new rung; what dunning already imposed stays until the customer pays (or
 * staff changes the status). Ending an exemption queues an evaluation, so the ladder catches up at once.
 */
export const setDunningExemption = defineVerb(ExemptionCall, async ({ ctx, input }) => {
  await requireStaffRole(ctx, ...BILLING_ROLES);
  requireActor(ctx.actor, "admin_key", "env_key", "cli", "system", "staff");
  return withTransaction(ctx, async (tx) => {
    const trx = tx.db;
    // A console form's one-time key (src/web/form-once.ts): sent twice, the work and its audit entry are done once.
    await claimIdempotencyKey(tx, ctx.idempotency);
    const before = await trx
      .selectFrom("customer")
      .select(["id", "dunning_exempt"])
      .where("id", "=", input.id)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw ServiceError.notFound(`customer ${input.id}`);
    await trx
      .updateTable("customer")
      .set({ dunning_exempt: input.exempt, updated_at: tx.now() })
      .where("id", "=", input.id)
      .execute();
    if (!input.exempt) {
      await enqueue(
        trx,
        "dunning.evaluate",
        { customer_id: String(input.id) },
        { orderingKey: `dunning:${input.id}` },
      );
    }
    await recordAudit(trx, tx, {
      action: "update",
      entity: "customer",
      entityId: String(input.id),
      before: { dunning_exempt: before.dunning_exempt },
      after: { dunning_exempt: input.exempt, dunning_exempt_reason: input.reason },
    });
    const answer = { customer_id: idOut(input.id), exempt: input.exempt, reason: input.reason };
    await answerIdempotencyKey(tx, ctx.idempotency, answer);
    return answer;
  });
});
