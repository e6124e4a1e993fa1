import { z } from "zod";
import { type Page, PageQuery, fetchPage } from "../../kernel/pagination.ts";
import { idOut } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

export const AuditLogQuery = PageQuery.extend({
  entity: z.string().max(50).optional(),
  entity_id: z.string().max(100).optional(),
  actor: z.string().max(100).optional(),
});
export type AuditLogQuery = z.output<typeof AuditLogQuery>;

export const AuditLogEntry = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  request_id: z.string().nullable(),
  action: z.string(),
  entity: z.string(),
  entity_id: z.string(),
  before: z.unknown(),
  after: z.unknown(),
});
export type AuditLogEntry = z.output<typeof AuditLogEntry>;

/** Newest first. */
export const listAuditLog = defineVerb(
  AuditLogQuery,
  async ({ ctx, input }): Promise<Page<AuditLogEntry>> => {
    await requireStaffRole(ctx, ...READ_ROLES);
    let q = ctx.db.selectFrom("audit_log");
    if (input.entity) q = q.where("entity", "=", input.entity);
    if (input.entity_id) q = q.where("entity_id", "=", input.entity_id);
    if (input.actor) q = q.where("actor", "=", input.actor);
    return fetchPage(
      q,
      input,
      (f) => f.selectAll().orderBy("id", "desc"),
      (r) => ({
        id: idOut(r.id),
        at: r.at.toISOString(),
        actor: r.actor,
        request_id: r.request_id,
        action: r.action,
        entity: r.entity,
        entity_id: r.entity_id,
        before: r.before ?? null,
        after: r.after ?? null,
      }),
    );
  },
);
