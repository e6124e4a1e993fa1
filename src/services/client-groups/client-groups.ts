import type { Selectable } from "kysely";
import { z } from "zod";
import type { ClientGroupTable } from "../../db/schema.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { Tx } from "../../kernel/context.ts";
import { auditedTable } from "../audited-table.ts";
import { type Page, PageQuery } from "../../kernel/pagination.ts";
import { idOut, IdParams } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { ADMIN_ROLES, READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

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

const groups = auditedTable({ table: "client_group", label: "client group", present: presentClientGroup });

export const createClientGroup = defineVerb(
  ClientGroupCreate,
  async ({ ctx, input }): Promise<ClientGroup> => {
    await requireStaffRole(ctx, ...ADMIN_ROLES);
    return groups.create(ctx, input, (trx) => assertNameFree(trx, input.name));
  },
);

export const getClientGroup = defineVerb(IdParams, async ({ ctx, input }): Promise<ClientGroup> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  return groups.get(ctx, input.id);
});

export const listClientGroups = defineVerb(PageQuery, async ({ ctx, input }): Promise<Page<ClientGroup>> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  return groups.list(ctx, input);
});

export const updateClientGroup = defineVerb(
  IdParams.extend({ patch: ClientGroupUpdate }),
  async ({ ctx, input }): Promise<ClientGroup> => {
    await requireStaffRole(ctx, ...ADMIN_ROLES);
    const { name } = input.patch;
    return groups.update(ctx, input.id, input.patch, async (trx) => {
      if (name !== undefined) await assertNameFree(trx, name, input.id);
    });
  },
);

/** Refuses while customers are in the group; the group's discounts go with it. */
export const deleteClientGroup = defineVerb(IdParams, async ({ ctx, input }): Promise<void> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  return groups.remove(ctx, input.id, async (trx) => {
    const member = await trx
      .selectFrom("customer")
      .select("id")
      .where("client_group_id", "=", input.id)
      .executeTakeFirst();
    if (member)
      throw new ServiceError("CONFLICT", `client group ${input.id} still has customers; move them first`);
  });
});
