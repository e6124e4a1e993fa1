import type { Selectable } from "kysely";
import { z } from "zod";
import type { PlanPriceTable } from "../../db/schema.ts";
import { parseTokens } from "../../domain/tokens.ts";
import { ServiceError } from "../../errors.ts";
import { recordAudit } from "../audit.ts";
import type { Tx, VerbArgs } from "../context.ts";
import { mapDbError } from "../db-errors.ts";
import { offsetOf, type Page, type PageQuery, pageOf } from "../pagination.ts";
import { idOut } from "../schemas.ts";

// tokenbill's price list: token prices per SolusIO plan (seed step 3). `tokenbill solusio setup` pushes it
// to the plans of the same name. Tokens are whole numbers; fractions are refused, never rounded.

const tokens = (field: string) =>
  z
    .unknown()
    .transform((v, ctx) => {
      try {
        return parseTokens(v, field);
      } catch (e) {
        ctx.addIssue({
          code: "custom",
          message: (e as ServiceError).issues[0]?.message ?? "must be whole tokens",
        });
        return z.NEVER;
      }
    })
    .meta({ type: "integer", minimum: 0, description: "whole tokens" });

const fields = {
  plan_name: z.string().min(1).max(200).meta({ description: "the SolusIO plan's name" }),
  tokens_per_hour: tokens("tokens_per_hour"),
  tokens_per_month: tokens("tokens_per_month").meta({ description: "the monthly cap; 0 = hourly only" }),
  ip_tokens_per_hour: tokens("ip_tokens_per_hour"),
  ip_tokens_per_month: tokens("ip_tokens_per_month"),
};

export const PlanPriceCreate = z
  .object({
    ...fields,
    ip_tokens_per_hour: fields.ip_tokens_per_hour.default(0n),
    ip_tokens_per_month: fields.ip_tokens_per_month.default(0n),
  })
  .strict();
export type PlanPriceCreate = z.output<typeof PlanPriceCreate>;
export const PlanPriceUpdate = z.object(fields).partial().strict();
export type PlanPriceUpdate = z.output<typeof PlanPriceUpdate>;

export const PlanPrice = z.object({
  id: z.number().int(),
  plan_name: z.string(),
  tokens_per_hour: z.number().int(),
  tokens_per_month: z.number().int(),
  ip_tokens_per_hour: z.number().int(),
  ip_tokens_per_month: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type PlanPrice = z.output<typeof PlanPrice>;

export function presentPlanPrice(row: Selectable<PlanPriceTable>): PlanPrice {
  return {
    id: idOut(row.id),
    plan_name: row.plan_name,
    tokens_per_hour: Number(row.tokens_per_hour),
    tokens_per_month: Number(row.tokens_per_month),
    ip_tokens_per_hour: Number(row.ip_tokens_per_hour),
    ip_tokens_per_month: Number(row.ip_tokens_per_month),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

async function loadForUpdate(trx: Tx, id: bigint) {
  const row = await trx
    .selectFrom("plan_price")
    .selectAll()
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`plan price ${id}`);
  return row;
}

export async function createPlanPrice({ ctx, input }: VerbArgs<PlanPriceCreate>): Promise<PlanPrice> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.now();
    const row = await trx
      .insertInto("plan_price")
      .values({ ...input, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((e) => mapDbError(e, `a price for plan ${input.plan_name}`));
    const after = presentPlanPrice(row);
    await recordAudit(trx, ctx, {
      action: "create",
      entity: "plan_price",
      entityId: String(row.id),
      before: null,
      after,
    });
    return after;
  });
}

export async function getPlanPrice({ ctx, input }: VerbArgs<{ id: bigint }>): Promise<PlanPrice> {
  const row = await ctx.db.selectFrom("plan_price").selectAll().where("id", "=", input.id).executeTakeFirst();
  if (!row) throw ServiceError.notFound(`plan price ${input.id}`);
  return presentPlanPrice(row);
}

export async function listPlanPrices({ ctx, input }: VerbArgs<PageQuery>): Promise<Page<PlanPrice>> {
  const [rows, count] = await Promise.all([
    ctx.db
      .selectFrom("plan_price")
      .selectAll()
      .orderBy("id")
      .limit(input.per_page)
      .offset(offsetOf(input))
      .execute(),
    ctx.db
      .selectFrom("plan_price")
      .select((eb) => eb.fn.countAll<bigint>().as("n"))
      .executeTakeFirstOrThrow(),
  ]);
  return pageOf(rows.map(presentPlanPrice), count.n, input);
}

export async function updatePlanPrice({
  ctx,
  input,
}: VerbArgs<{ id: bigint; patch: PlanPriceUpdate }>): Promise<PlanPrice> {
  return ctx.db.transaction().execute(async (trx) => {
    const before = await loadForUpdate(trx, input.id);
    const row = await trx
      .updateTable("plan_price")
      .set({ ...input.patch, updated_at: ctx.now() })
      .where("id", "=", input.id)
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((e) => mapDbError(e, `a price for plan ${input.patch.plan_name}`));
    const after = presentPlanPrice(row);
    const entityId = String(input.id);
    await recordAudit(trx, ctx, {
      action: "update",
      entity: "plan_price",
      entityId,
      before: presentPlanPrice(before),
      after,
    });
    return after;
  });
}

export async function deletePlanPrice({ ctx, input }: VerbArgs<{ id: bigint }>): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const before = await loadForUpdate(trx, input.id);
    await trx.deleteFrom("plan_price").where("id", "=", input.id).execute();
    const entityId = String(input.id);
    await recordAudit(trx, ctx, {
      action: "delete",
      entity: "plan_price",
      entityId,
      before: presentPlanPrice(before),
      after: null,
    });
  });
}
