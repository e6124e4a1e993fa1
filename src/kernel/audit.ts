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
  | "apply_credit"
  // A refund reservation whose provider call never ran, released after asking the provider.
  | "release"
  // A void usage invoice's (customer, period) slot given up, so that a run bills the period again.
  | "reissue"
  // An issued invoice e-mailed again on a staff member's request.
  | "resend"
  // A copy of the whole embedded database taken (services/backup): it holds every customer's data.
  | "backup";

export interface AuditEntry {
  action: AuditVerb;
  entity: string;
  entityId: string;
  before: unknown;
  after: unknown;
}

/**
 * The audit row of `entry` as `ctx` would write it now, with `before`/`after` still values (recordAudit
 * stores them as JSON; a statement that writes several tables at once passes the row as JSON whole).
 */
export function auditFields(ctx: ServiceContext, entry: AuditEntry) {
  return {
    at: ctx.now(),
    actor: actorLabel(ctx.actor),
    request_id: ctx.requestId ?? null,
    action: `${entry.entity}.${entry.action}`,
    entity: entry.entity,
    entity_id: entry.entityId,
    before: entry.before ?? null,
    after: entry.after ?? null,
  };
}

/** Writes one audit row inside the caller's transaction, so a change and its record commit together. */
export async function recordAudit(trx: Tx, ctx: ServiceContext, entry: AuditEntry): Promise<void> {
  const row = auditFields(ctx, entry);
  await trx
    .insertInto("audit_log")
    .values({
      ...row,
      before: row.before === null ? null : jsonText(row.before),
      after: row.after === null ? null : jsonText(row.after),
    })
    .execute();
}
