import { z } from "zod";
import type { UsagePeriod, UsageRecord } from "./usage-record.ts";

// The usage endpoint's answer, solusio-api.md §9 (a). Its shape is [OURS] (not public): everything that
// knows it is in this file, so that a live SolusIO answering differently changes only this mapping.

/** Whole non-negative counts; a numeric string is accepted (PHP modules send some integers as strings). */
const count = z
  .union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,18}$/)])
  .transform((v) => BigInt(v));

const instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const chargeKind = z.enum(["hourly", "monthly_cap", "monthly_fixed", "free"]);

export const SolusioUsageItem = z.looseObject({
  server: z.looseObject({ id: z.number().int().positive(), uuid: z.string(), name: z.string() }),
  user: z.looseObject({
    id: z.number().int().nullable().optional(),
    billing_user_id: z
      .union([z.number().int().nonnegative(), z.string().regex(/^\d{1,18}$/)])
      .nullable()
      .optional(),
  }),
  plan: z.looseObject({
    id: z.number().int().nullable().optional(),
    name: z.string(),
    tokens_per_hour: count,
    tokens_per_month: count,
    ip_tokens_per_hour: count.optional(),
    ip_tokens_per_month: count.optional(),
  }),
  period_start: instant,
  period_end: instant,
  created_at: instant,
  deleted_at: instant.nullable().optional(),
  hours: count,
  tokens: count,
  charge: chargeKind,
  additional_ips: z
    .looseObject({ count, hours: count, tokens: count, charge: chargeKind })
    .nullable()
    .optional(),
});
export type SolusioUsageItem = z.output<typeof SolusioUsageItem>;

export const SolusioUsagePage = z.looseObject({
  data: z.array(z.unknown()),
  meta: z
    .looseObject({
      current_page: z.number().int().optional(),
      last_page: z.number().int().min(1),
      total: z.number().int().nonnegative().optional(),
    })
    .optional(),
});

/** The query of one page (period bounds at second precision, as the endpoint echoes them). */
export function usageQuery(period: UsagePeriod, page: number): Record<string, string | number> {
  return {
    period_start: `${period.start.toISOString().slice(0, 19)}Z`,
    period_end: `${period.end.toISOString().slice(0, 19)}Z`,
    page,
  };
}

/** One validated item → the source-independent record. */
export function mapUsageItem(item: SolusioUsageItem): UsageRecord {
  const billingUserId = item.user.billing_user_id;
  const ips = item.additional_ips;
  return {
    billingUserId: billingUserId === null || billingUserId === undefined ? null : BigInt(billingUserId),
    solusioUserId: item.user.id ?? null,
    server: { id: item.server.id, uuid: item.server.uuid, name: item.server.name },
    plan: {
      id: item.plan.id ?? null,
      name: item.plan.name,
      tokensPerHour: item.plan.tokens_per_hour,
      tokensPerMonth: item.plan.tokens_per_month,
      ipTokensPerHour: item.plan.ip_tokens_per_hour ?? 0n,
      ipTokensPerMonth: item.plan.ip_tokens_per_month ?? 0n,
    },
    createdAt: item.created_at,
    deletedAt: item.deleted_at ?? null,
    hours: item.hours,
    tokens: item.tokens,
    charge: item.charge,
    additionalIps: ips
      ? { count: ips.count, hours: ips.hours, tokens: ips.tokens, charge: ips.charge }
      : { count: 0n, hours: 0n, tokens: 0n, charge: "free" },
    reportedBySolusio: true,
  };
}
