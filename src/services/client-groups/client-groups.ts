import type { Selectable } from "kysely";
import { z } from "zod";
import type { ClientGroupTable } from "../../db/schema.ts";
import { ServiceError } from "../../errors.ts";
import { recordAudit } from "../audit.ts";
import type { Tx, VerbArgs } from "../context.ts";
import { mapDbError } from "../db-errors.ts";
import { offsetOf, type Page, type PageQuery, pageOf } from "../pagination.ts";
import { idOut } from "../schemas.ts";

export const ClientGroupCreate = z
  .object({ name: z.string().min(1).max(200), description: z.string().max(1000).default("") })
  .strict();
export type ClientGroupCreate = z.output<typeof ClientGroupCreate>;

export const ClientGroupUpdate = z
  .object({ name: z.string().min(1).max(200), description: z.string().max(1000) })
  .partial()
  .strict();
export type ClientGroupUpdate = z.output<typeof ClientGroupUpdate>;

export const ClientGroup = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ClientGroup = z.output<typeof ClientGroup>;

export function presentClientGroup(row: Selectable<ClientGroupTable>): ClientGroup {
  return {
    id: idOut(row.id),
    name: row.name,
    description: row.description,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

async function assertNameFree(trx: Tx, name: string, exceptId?: bigint): Promise<void> {
  let q = trx.selectFrom("client_group").select("id").where("name", "=", name);
  if (exceptId !== undefined) q = q.where("id", "!=", exceptId);
  if (await q.executeTakeFirst())
    throw new ServiceError("CONFLICT", `a client group named ${name} already exists`);
}

async function loadForUpdate(trx: Tx, id: bigint) {
  const row = await trx
    .selectFrom("client_group")
    .selectAll()
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`client group ${id}`);
  return row;
}

export async function createClientGroup({ ctx, input }: VerbArgs<ClientGroupCreate>): Promise<ClientGroup> {
  return ctx.db.transaction().execute(async (trx) => {
    await assertNameFree(trx, input.name);
    const now = ctx.now();
    const row = await trx
      .insertInto("client_group")
      .values({ ...input, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((e) => mapDbError(e, `client group ${input.name}`));
    const after = presentClientGroup(row);
    await recordAudit(trx, ctx, {
      action: "create",
      entity: "client_group",
      entityId: String(row.id),
      before: null,
      after,
    });
    return after;
  });
}

export async function getClientGroup({ ctx, input }: VerbArgs<{ id: bigint }>): Promise<ClientGroup> {
  const row = await ctx.db
    .selectFrom("client_group")
    .selectAll()
    .where("id", "=", input.id)
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`client group ${input.id}`);
  return presentClientGroup(row);
}

export async function listClientGroups({ ctx, input }: VerbArgs<PageQuery>): Promise<Page<ClientGroup>> {
  const [rows, count] = await Promise.all([
    ctx.db
      .selectFrom("client_group")
      .selectAll()
      .orderBy("id")
      .limit(input.per_page)
      .offset(offsetOf(input))
      .execute(),
    ctx.db
      .selectFrom("client_group")
      .select((eb) => eb.fn.countAll<bigint>().as("n"))
      .executeTakeFirstOrThrow(),
  ]);
  return pageOf(rows.map(presentClientGroup), count.n, input);
}

export async function updateClientGroup({
  ctx,
  input,
}: VerbArgs<{ id: bigint; patch: ClientGroupUpdate }>): Promise<ClientGroup> {
  return ctx.db.transaction().execute(async (trx) => {
    const before = await loadForUpdate(trx, input.id);
    if (input.patch.name !== undefined) await assertNameFree(trx, input.patch.name, input.id);
    const row = await trx
      .updateTable("client_group")
      .set({ ...input.patch, updated_at: ctx.now() })
      .where("id", "=", input.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const after = presentClientGroup(row);
    const entityId = String(input.id);
    await recordAudit(trx, ctx, {
      action: "update",
      entity: "client_group",
      entityId,
      before: presentClientGroup(before),
      after,
    });
    return after;
  });
}

/** Refuses while customers are in the group; the group's discounts go with it. */
export async function deleteClientGroup({ ctx, input }: VerbArgs<{ id: bigint }>): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const before = await loadForUpdate(trx, input.id);
    const member = await trx
      .selectFrom("customer")
      .select("id")
      .where("client_group_id", "=", input.id)
      .executeTakeFirst();
    if (member)
      throw new ServiceError("CONFLICT", `client group ${input.id} still has customers; move them first`);
    await trx.deleteFrom("client_group").where("id", "=", input.id).execute();
    const entityId = String(input.id);
    await recordAudit(trx, ctx, {
      action: "delete",
      entity: "client_group",
      entityId,
      before: presentClientGroup(before),
      after: null,
    });
  });
}
