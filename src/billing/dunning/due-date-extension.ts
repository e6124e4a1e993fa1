import { enqueue } from "../../jobs/enqueue-job.ts";
import { recordAudit } from "../../kernel/audit.ts";
import { answerIdempotencyKey, claimIdempotencyKey } from "../../kernel/idempotency-key.ts";
import { requireActor } from "../../kernel/actor.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { ExtensionCall } from "./dunning-schemas.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

/**
 * Moves one invoice's due date for dunning (billing-rules §8); the invoice itself never changes (its
 * document keeps the date it was issued with). A second extension replaces the first. The new date must be
 * later than the invoice's own due date. Queues an evaluation: the extension may end an overdue episode.
 */
export const extendDueDate = defineVerb(ExtensionCall, async ({ ctx, input }) => {
  await requireStaffRole(ctx, ...BILLING_ROLES);
  requireActor(ctx.actor, "admin_key", "env_key", "cli", "system", "staff");
  return withTransaction(ctx, async (tx) => {
    const trx = tx.db;
    // A console form's one-time key (src/web/form-once.ts): sent twice, the work and its audit entry are done once.
    await claimIdempotencyKey(tx, ctx.idempotency);
    const invoice = await trx
      .selectFrom("invoice")
      .select(["id", "customer_id", "status", "due_date"])
      .where("id", "=", input.id)
      .forUpdate()
      .executeTakeFirst();
    if (!invoice) throw ServiceError.notFound(`invoice ${input.id}`);
    if (invoice.due_date === null || !["finalized", "partially_paid"].includes(invoice.status))
      throw new ServiceError(
        "CONFLICT",
        `invoice ${input.id} is ${invoice.status}: only a finalized or partly paid invoice has a due date to extend`,
      );
    if (input.due_date <= invoice.due_date)
      throw ServiceError.validation("due_date", `must be after the invoice's due date ${invoice.due_date}`);
    const before = await trx
      .selectFrom("invoice_due_extension")
      .select(["due_date", "reason"])
      .where("invoice_id", "=", input.id)
      .executeTakeFirst();
    await trx
      .insertInto("invoice_due_extension")
      .values({ invoice_id: input.id, due_date: input.due_date, reason: input.reason })
      .onConflict((oc) =>
        oc.column("invoice_id").doUpdateSet({ due_date: input.due_date, reason: input.reason }),
      )
      .execute();
    await enqueue(
      trx,
      "dunning.evaluate",
      { customer_id: String(invoice.customer_id) },
      { orderingKey: `dunning:${invoice.customer_id}` },
    );
    const after = {
      invoice_id: input.id,
      original_due_date: invoice.due_date,
      due_date: input.due_date,
      reason: input.reason,
    };
    await recordAudit(trx, tx, {
      action: before ? "update" : "create",
      entity: "invoice_due_extension",
      entityId: input.id,
      before: before ?? null,
      after,
    });
    await answerIdempotencyKey(tx, ctx.idempotency, after);
    return after;
  });
});
