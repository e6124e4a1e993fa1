import type { ServiceContext, Tx } from "./context.ts";

export interface AuditEntry {
  action: "create" | "update" | "delete";
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
      actor: ctx.actor,
      request_id: ctx.requestId ?? null,
      action: entry.action,
      entity: entry.entity,
      entity_id: entry.entityId,
      before: entry.before === null || entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === null || entry.after === undefined ? null : JSON.stringify(entry.after),
    })
    .execute();
}
