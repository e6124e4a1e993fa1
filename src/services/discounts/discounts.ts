import type { Selectable } from "kysely";
import { z } from "zod";
import type { DiscountTable } from "../../db/schema.ts";
import { ServiceError } from "../../errors.ts";
import { recordAudit } from "../audit.ts";
import type { Tx, VerbArgs } from "../context.ts";
import { mapDbError } from "../db-errors.ts";
import { offsetOf, type Page, PageQuery, pageOf } from "../pagination.ts";
import { assertClientGroupExists, assertCustomerExists } from "../references.ts";
import { decimalString, id, idOut, nullableIdOut } from "../schemas.ts";
import { canonicalDecimal } from "../currencies/currencies.ts";

// A discount is a multiplier 0 ≤ m ≤ 1 (0.95 = 5 % off) owned by a client group or by one customer
// (billing-rules §3). `position` orders discounts within an owner; group discounts apply before own ones.

const multiplier = decimalString({ maxScale: 12, min: "0", max: "1" }).meta({
  description: "price multiplier between 0 and 1; 0.95 is 5 % off",
  example: "0.95",
});

export const DiscountCreate = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(1000).default(""),
    multiplier,
    client_group_id: id.optional(),
    customer_id: id.optional(),
    position: z.number().int().min(0).max(1000).default(0),
  })
  .strict()
  .superRefine((v, zctx) => {
    if ((v.client_group_id === undefined) === (v.customer_id === undefined)) {
      zctx.addIssue({
        code: "custom",
        path: ["client_group_id"],
        message: "give exactly one of client_group_id or customer_id",
      });
    }
  });
export type DiscountCreate = z.output<typeof DiscountCreate>;

export const DiscountUpdate = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(1000),
    multiplier,
    position: z.number().int().min(0).max(1000),
  })
  .partial()
  .strict();
export type DiscountUpdate = z.output<typeof DiscountUpdate>;

export const DiscountListQuery = PageQuery.extend({
  client_group_id: id.optional(),
  customer_id: id.optional(),
});
export type DiscountListQuery = z.output<typeof DiscountListQuery>;

export const Discount = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string(),
  multiplier: z.string(),
  client_group_id: z.number().int().nullable(),
  customer_id: z.number().int().nullable(),
  position: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Discount = z.output<typeof Discount>;

export function presentDiscount(row: Selectable<DiscountTable>): Discount {
  return {
    id: idOut(row.id),
    name: row.name,
    description: row.description,
    multiplier: canonicalDecimal(row.multiplier),
    client_group_id: nullableIdOut(row.client_group_id),
    customer_id: nullableIdOut(row.customer_id),
    position: row.position,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

async function loadForUpdate(trx: Tx, id: bigint) {
  const row = await trx
    .selectFrom("discount")
    .selectAll()
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`discount ${id}`);
  return row;
}

export async function createDiscount({ ctx, input }: VerbArgs<DiscountCreate>): Promise<Discount> {
  return ctx.db.transaction().execute(async (trx) => {
    if (input.client_group_id) await assertClientGroupExists(trx, input.client_group_id);
    if (input.customer_id) await assertCustomerExists(trx, input.customer_id);
    const now = ctx.now();
    const row = await trx
      .insertInto("discount")
      .values({
        name: input.name,
        description: input.description,
        multiplier: input.multiplier,
        client_group_id: input.client_group_id ?? null,
        customer_id: input.customer_id ?? null,
        position: input.position,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((e) => mapDbError(e, `discount ${input.name}`));
    const after = presentDiscount(row);
    await recordAudit(trx, ctx, {
      action: "create",
      entity: "discount",
      entityId: String(row.id),
      before: null,
      after,
    });
    return after;
  });
}

export async function getDiscount({ ctx, input }: VerbArgs<{ id: bigint }>): Promise<Discount> {
  const row = await ctx.db.selectFrom("discount").selectAll().where("id", "=", input.id).executeTakeFirst();
  if (!row) throw ServiceError.notFound(`discount ${input.id}`);
  return presentDiscount(row);
}

export async function listDiscounts({ ctx, input }: VerbArgs<DiscountListQuery>): Promise<Page<Discount>> {
  let q = ctx.db.selectFrom("discount");
  if (input.client_group_id) q = q.where("client_group_id", "=", input.client_group_id);
  if (input.customer_id) q = q.where("customer_id", "=", input.customer_id);
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy("id").limit(input.per_page).offset(offsetOf(input)).execute(),
    q.select((eb) => eb.fn.countAll<bigint>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return pageOf(rows.map(presentDiscount), count.n, input);
}

export async function updateDiscount({
  ctx,
  input,
}: VerbArgs<{ id: bigint; patch: DiscountUpdate }>): Promise<Discount> {
  return ctx.db.transaction().execute(async (trx) => {
    const before = await loadForUpdate(trx, input.id);
    const row = await trx
      .updateTable("discount")
      .set({ ...input.patch, updated_at: ctx.now() })
      .where("id", "=", input.id)
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((e) => mapDbError(e, `discount ${input.id}`));
    const after = presentDiscount(row);
    const entityId = String(input.id);
    await recordAudit(trx, ctx, {
      action: "update",
      entity: "discount",
      entityId,
      before: presentDiscount(before),
      after,
    });
    return after;
  });
}

export async function deleteDiscount({ ctx, input }: VerbArgs<{ id: bigint }>): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const before = await loadForUpdate(trx, input.id);
    await trx.deleteFrom("discount").where("id", "=", input.id).execute();
    const entityId = String(input.id);
    await recordAudit(trx, ctx, {
      action: "delete",
      entity: "discount",
      entityId,
      before: presentDiscount(before),
      after: null,
    });
  });
}
