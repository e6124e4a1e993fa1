import type { Selectable } from "kysely";
import { z } from "zod";
import type { PlanPriceTable } from "../../db/schema.ts";
import { MAX_TOKENS, parseTokens } from "../../domain/tokens.ts";
import type { ServiceError } from "../../kernel/errors.ts";
import { auditedTable } from "../audited-table.ts";
import { type Page, PageQuery } from "../../kernel/pagination.ts";
import { digitsOrInteger, idOut, IdParams, tokenCount } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { ADMIN_ROLES, READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

// tokenbill's price list: token prices per SolusIO plan (seed step 3). `tokenbill solusio setup` pushes it
// to the plans of the same name. Tokens are whole numbers; fractions are refused, never rounded.

const tokens = (field: string, what: string) =>
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
    // Both forms parseTokens takes, each with its bounds: a bare integer refused "7" (until 2026-12-06).
    .meta({
      ...digitsOrInteger({ min: 0n, max: MAX_TOKENS, leadingZeros: true }),
      description: `${what}; whole tokens up to 2^63 − 1, a JSON integer or a string of digits (a string beyond 2^53, where a JSON number loses digits)`,
    });

const fields = {
  plan_name: z.string().min(1).max(200).meta({ description: "the SolusIO plan's name" }),
  tokens_per_hour: tokens("tokens_per_hour", "tokens per server hour"),
  tokens_per_month: tokens("tokens_per_month", "the monthly cap; 0 = hourly only"),
  ip_tokens_per_hour: tokens("ip_tokens_per_hour", "tokens per hour of each additional IP"),
  ip_tokens_per_month: tokens(
    "ip_tokens_per_month",
    "the monthly cap of each additional IP; 0 = hourly only",
  ),
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
  tokens_per_hour: tokenCount("tokens per server hour"),
  tokens_per_month: tokenCount("the monthly cap; 0 = hourly only"),
  ip_tokens_per_hour: tokenCount("tokens per hour of each additional IP"),
  ip_tokens_per_month: tokenCount("the monthly cap of each additional IP; 0 = hourly only"),
  created_at: z.string(),
  updated_at: z.string(),
});
export type PlanPrice = z.output<typeof PlanPrice>;

export function presentPlanPrice(row: Selectable<PlanPriceTable>): PlanPrice {
  return {
    id: idOut(row.id),
    plan_name: row.plan_name,
    tokens_per_hour: row.tokens_per_hour,
    tokens_per_month: row.tokens_per_month,
    ip_tokens_per_hour: row.ip_tokens_per_hour,
    ip_tokens_per_month: row.ip_tokens_per_month,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

const prices = auditedTable({ table: "plan_price", label: "plan price", present: presentPlanPrice });

export const createPlanPrice = defineVerb(PlanPriceCreate, async ({ ctx, input }): Promise<PlanPrice> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  return prices.create(ctx, input);
});

export const getPlanPrice = defineVerb(IdParams, async ({ ctx, input }): Promise<PlanPrice> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  return prices.get(ctx, input.id);
});

export const listPlanPrices = defineVerb(PageQuery, async ({ ctx, input }): Promise<Page<PlanPrice>> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  return prices.list(ctx, input);
});

export const updatePlanPrice = defineVerb(
  IdParams.extend({ patch: PlanPriceUpdate }),
  async ({ ctx, input }): Promise<PlanPrice> => {
    await requireStaffRole(ctx, ...ADMIN_ROLES);
    return prices.update(ctx, input.id, input.patch);
  },
);

export const deletePlanPrice = defineVerb(IdParams, async ({ ctx, input }): Promise<void> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  return prices.remove(ctx, input.id);
});
