import type { Selectable } from "kysely";
import { z } from "zod";
import type { DiscountTable } from "../../db/schema.ts";
import { auditedTable } from "../audited-table.ts";
import { type Page, PageQuery } from "../../kernel/pagination.ts";
import { assertClientGroupExists, assertCustomerExists } from "../references.ts";
import { decimalString, id, idFilter, idOut, nullableIdOut, IdParams } from "../../kernel/schemas.ts";
import { canonicalDecimal } from "../currencies/currencies.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { ADMIN_ROLES, READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

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
  client_group_id: idFilter("a client group").optional(),
  customer_id: idFilter("a customer").optional(),
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

const discounts = auditedTable({ table: "discount", label: "discount", present: presentDiscount });

export const createDiscount = defineVerb(DiscountCreate, async ({ ctx, input }): Promise<Discount> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  const values = {
    name: input.name,
    description: input.description,
    multiplier: input.multiplier,
    client_group_id: input.client_group_id ?? null,
    customer_id: input.customer_id ?? null,
    position: input.position,
  };
  return discounts.create(ctx, values, async (trx) => {
    if (input.client_group_id) await assertClientGroupExists(trx, input.client_group_id);
    if (input.customer_id) await assertCustomerExists(trx, input.customer_id);
  });
});

export const getDiscount = defineVerb(IdParams, async ({ ctx, input }): Promise<Discount> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  return discounts.get(ctx, input.id);
});

export const listDiscounts = defineVerb(
  DiscountListQuery,
  async ({ ctx, input }): Promise<Page<Discount>> => {
    await requireStaffRole(ctx, ...READ_ROLES);
    return discounts.list(ctx, input, {
      client_group_id: input.client_group_id,
      customer_id: input.customer_id,
    });
  },
);

export const updateDiscount = defineVerb(
  IdParams.extend({ patch: DiscountUpdate }),
  async ({ ctx, input }): Promise<Discount> => {
    await requireStaffRole(ctx, ...ADMIN_ROLES);
    return discounts.update(ctx, input.id, input.patch);
  },
);

export const deleteDiscount = defineVerb(IdParams, async ({ ctx, input }): Promise<void> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  return discounts.remove(ctx, input.id);
});
