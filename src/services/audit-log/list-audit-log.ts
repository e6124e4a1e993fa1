import { z } from "zod";
import type { VerbArgs } from "../context.ts";
import { offsetOf, type Page, PageQuery, pageOf } from "../pagination.ts";
import { idOut } from "../schemas.ts";

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
export async function listAuditLog({ ctx, input }: VerbArgs<AuditLogQuery>): Promise<Page<AuditLogEntry>> {
  let q = ctx.db.selectFrom("audit_log");
  if (input.entity) q = q.where("entity", "=", input.entity);
  if (input.entity_id) q = q.where("entity_id", "=", input.entity_id);
  if (input.actor) q = q.where("actor", "=", input.actor);
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy("id", "desc").limit(input.per_page).offset(offsetOf(input)).execute(),
    q.select((eb) => eb.fn.countAll<bigint>().as("n")).executeTakeFirstOrThrow(),
  ]);
  const data = rows.map((r) => ({
    id: idOut(r.id),
    at: r.at.toISOString(),
    actor: r.actor,
    request_id: r.request_id,
    action: r.action,
    entity: r.entity,
    entity_id: r.entity_id,
    before: r.before ?? null,
    after: r.after ?? null,
  }));
  return pageOf(data, count.n, input);
}
