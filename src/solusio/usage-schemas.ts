import { z } from "zod";
import type { UsagePeriod, UsageRecord } from "../domain/usage-record.ts";
import {
  backupPercentShape,
  billingUserRefShape,
  planPrices,
  SolusioPlanOfServerShape,
  toBackupPercent,
  toBillingUserRef,
  toCount,
  wireCountShape,
} from "./schemas.ts";
import { upstreamName } from "./upstream-text.ts";

// The usage endpoint's answer, solusio-api.md §9 (a). Its shape is [OURS] (not public): everything that
// knows it is in this file, so that a live SolusIO answering differently changes only this file. Its
// result is billing's UsageRecord, the port every usage source fills.
//
// The item's schema only validates; mapUsageItem converts (bigints, Dates, defaults). A billing run reads
// hundreds of thousands of items, and with zod's transforms in this schema validation cost four to five
// times as much (schemas.ts says why).

const instant = z.iso.datetime({ offset: true });
const chargeKind = z.enum(["hourly", "monthly_cap", "monthly_fixed", "free"]);

export const SolusioUsageItem = z.looseObject({
  server: z.looseObject({ id: z.number().int().positive(), uuid: z.string(), name: z.string() }),
  user: z.looseObject({ id: z.number().int().nullable().optional(), billing_user_id: billingUserRefShape }),
  plan: SolusioPlanOfServerShape,
  period_start: instant,
  period_end: instant,
  created_at: instant,
  deleted_at: instant.nullable().optional(),
  hours: wireCountShape,
  tokens: wireCountShape,
  charge: chargeKind,
  // hours are the IP-hours of the plan group; `ips` lists each IP's, when SolusIO reports them.
  additional_ips: z
    .looseObject({
      count: wireCountShape,
      hours: wireCountShape,
      tokens: wireCountShape,
      charge: chargeKind,
      ips: z.array(z.looseObject({ hours: wireCountShape, tokens: wireCountShape })).optional(),
    })
    .nullable()
    .optional(),
  backups: z
    .looseObject({ price_percent: backupPercentShape, hours: wireCountShape, tokens: wireCountShape })
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

/** An instant SolusIO sent, validated by `instant`, as milliseconds since the epoch. */
export const instantMs = (s: string): number => Date.parse(s);

/** One validated item (one server on one plan) → the source-independent record. */
export function mapUsageItem(item: SolusioUsageItem): UsageRecord {
  const { plan, additional_ips: ips, backups } = item;
  const prices = planPrices(plan);
  return {
    billingUserId: toBillingUserRef(item.user.billing_user_id),
    solusioUserId: item.user.id ?? null,
    server: { id: item.server.id, uuid: item.server.uuid, name: upstreamName(item.server.name) },
    plan: {
      id: prices.id,
      name: upstreamName(plan.name),
      tokensPerHour: prices.tokens_per_hour,
      tokensPerMonth: prices.tokens_per_month,
      ipTokensPerHour: prices.ip_tokens_per_hour,
      ipTokensPerMonth: prices.ip_tokens_per_month,
      backupPercent: prices.backup_price,
    },
    createdAt: new Date(item.created_at),
    deletedAt: item.deleted_at === null || item.deleted_at === undefined ? null : new Date(item.deleted_at),
    hours: toCount(item.hours),
    tokens: toCount(item.tokens),
    charge: item.charge,
    additionalIps: ips
      ? {
          count: toCount(ips.count),
          hours: toCount(ips.hours),
          tokens: toCount(ips.tokens),
          charge: ips.charge,
          ...(ips.ips
            ? { perIp: ips.ips.map((ip) => ({ hours: toCount(ip.hours), tokens: toCount(ip.tokens) })) }
            : {}),
        }
      : { count: 0n, hours: 0n, tokens: 0n, charge: "free" },
    backups: backups
      ? {
          percent: toBackupPercent(backups.price_percent),
          hours: toCount(backups.hours),
          tokens: toCount(backups.tokens),
        }
      : null,
    reportedBySolusio: true,
  };
}
