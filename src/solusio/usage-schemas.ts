import { z } from "zod";
import type { UsagePeriod, UsageRecord } from "../domain/usage-record.ts";
import { backupPercent, billingUserRef, SolusioPlanOfServer, wireCount } from "./schemas.ts";

// The usage endpoint's answer, solusio-api.md §9 (a). Its shape is [OURS] (not public): everything that
// knows it is in this file, so that a live SolusIO answering differently changes only this file. Its
// result is billing's UsageRecord, the port every usage source fills.

const instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const chargeKind = z.enum(["hourly", "monthly_cap", "monthly_fixed", "free"]);

export const SolusioUsageItem = z.looseObject({
  server: z.looseObject({ id: z.number().int().positive(), uuid: z.string(), name: z.string() }),
  user: z.looseObject({ id: z.number().int().nullable().optional(), billing_user_id: billingUserRef }),
  plan: SolusioPlanOfServer,
  period_start: instant,
  period_end: instant,
  created_at: instant,
  deleted_at: instant.nullable().optional(),
  hours: wireCount,
  tokens: wireCount,
  charge: chargeKind,
  // hours are the IP-hours of the plan group; `ips` lists each IP's, when SolusIO reports them.
  additional_ips: z
    .looseObject({
      count: wireCount,
      hours: wireCount,
      tokens: wireCount,
      charge: chargeKind,
      ips: z.array(z.looseObject({ hours: wireCount, tokens: wireCount })).optional(),
    })
    .nullable()
    .optional(),
  backups: z
    .looseObject({ price_percent: backupPercent, hours: wireCount, tokens: wireCount })
    .nullable()
    .optional(),
});
export type SolusioUsageItem = z.output<typeof SolusioUsageItem>;

/** One page of the answer; items are validated one by one, so that an error names the item. */
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
    ...(period.billingUserId === undefined
      ? {}
      : { "filter[billing_user_id]": String(period.billingUserId) }),
    page,
  };
}

/** One validated item (one server on one plan) → the source-independent record. */
export function mapUsageItem(item: SolusioUsageItem): UsageRecord {
  const ips = item.additional_ips;
  const backups = item.backups;
  return {
    billingUserId: item.user.billing_user_id,
    solusioUserId: item.user.id ?? null,
    server: { id: item.server.id, uuid: item.server.uuid, name: item.server.name },
    plan: {
      id: item.plan.id,
      name: item.plan.name,
      tokensPerHour: item.plan.tokens_per_hour,
      tokensPerMonth: item.plan.tokens_per_month,
      ipTokensPerHour: item.plan.ip_tokens_per_hour,
      ipTokensPerMonth: item.plan.ip_tokens_per_month,
      backupPercent: item.plan.backup_price,
    },
    createdAt: item.created_at,
    deletedAt: item.deleted_at ?? null,
    hours: item.hours,
    tokens: item.tokens,
    charge: item.charge,
    additionalIps: ips
      ? {
          count: ips.count,
          hours: ips.hours,
          tokens: ips.tokens,
          charge: ips.charge,
          ...(ips.ips ? { perIp: ips.ips.map((ip) => ({ hours: ip.hours, tokens: ip.tokens })) } : {}),
        }
      : { count: 0n, hours: 0n, tokens: 0n, charge: "free" },
    backups: backups
      ? { percent: backups.price_percent, hours: backups.hours, tokens: backups.tokens }
      : null,
    reportedBySolusio: true,
  };
}
