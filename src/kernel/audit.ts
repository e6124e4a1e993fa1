import { jsonText } from "./json.ts";
import { actorLabel } from "./actor.ts";
import type { ServiceContext, Tx } from "./context.ts";

/** What was done to the entity; stored as `entity.verb` (`customer.create`, `invoice.mark_paid`). */
export type AuditVerb =
  | "create"
  | "update"
  | "delete"
  | "mark_paid"
  | "void"
  | "revoke"
  | "rebind"
  | "draft"
  | "finalize"
  // Money in (billing-rules §7): a payment recorded, a refund made or settled, a credit note issued, the
  // customer's credit applied to an invoice at finalization.
  | "record"
  | "refund"
  | "settle"
  | "issue"
  | "apply_credit";

export interface AuditEntry {
  action: AuditVerb;
  entity: string;
  entityId: string;
  before: unknown;
  after: unknown;
}

/** Writes one audit row inside the caller's transaction, so a change and its record commit together. */
export async function recordAudit(trx: Tx, ctx: ServiceContext, entry: AuditEntry): Promise<void> {
  await trx
    .insertInto("audit_log")
    .values({
      at: ctx.now(),
      actor: actorLabel(ctx.actor),
      request_id: ctx.requestId ?? null,
      action: `${entry.entity}.${entry.action}`,
      entity: entry.entity,
      entity_id: entry.entityId,
      before: entry.before === null || entry.before === undefined ? null : jsonText(entry.before),
      after: entry.after === null || entry.after === undefined ? null : jsonText(entry.after),
    })
    .execute();
}
