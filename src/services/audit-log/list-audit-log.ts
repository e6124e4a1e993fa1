import { z } from "zod";
import { cursorParam, type KeysetPage, totalParam } from "../../kernel/list-cursor.ts";
import { newestByIdPage } from "../../kernel/newest-by-id-page.ts";
import { PageQuery } from "../../kernel/pagination.ts";
import { idOut } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

export const AuditLogQuery = PageQuery.extend({
  cursor: cursorParam,
  total: totalParam,
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

/**
 * Newest first. Paged by `page`, or walked by `cursor` (meta.next_cursor): a cursor page starts below its entry's
 * id through the primary key (or audit_log_actor (actor, id) for an actor), so page 10,000 of a large provider's
 * log costs what page 2 does; until 2026-12-07 the log paged by OFFSET only, reading every entry before the page.
 */
export const listAuditLog = defineVerb(
  AuditLogQuery,
  async ({ ctx, input }): Promise<KeysetPage<AuditLogEntry>> => {
    await requireStaffRole(ctx, ...READ_ROLES);
    const filters = { entity: input.entity, entity_id: input.entity_id, actor: input.actor };
    let q = ctx.db.selectFrom("audit_log");
    if (input.entity) q = q.where("entity", "=", input.entity);
    if (input.entity_id) q = q.where("entity_id", "=", input.entity_id);
    if (input.actor) q = q.where("actor", "=", input.actor);
    const shown = await newestByIdPage(input, { name: "audit_log", filters }, q, (f) => f.selectAll());
    return {
      data: shown.rows.map((r) => ({
        id: idOut(r.id),
        at: r.at.toISOString(),
        actor: r.actor,
        request_id: r.request_id,
        action: r.action,
        entity: r.entity,
        entity_id: r.entity_id,
        before: r.before ?? null,
        after: r.after ?? null,
      })),
      meta: shown.meta,
    };
  },
);
