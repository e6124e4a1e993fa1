import type { ServerStateColumns } from "../../db/schema.ts";
import { Decimal } from "../../domain/decimal.ts";
import { type PlanRates, type ServerHistory, serverUsageInPeriod } from "../../domain/server-usage.ts";
import type { UsagePeriod, UsageRecord } from "../../domain/usage-record.ts";

// The usage records of a server whose history tokenbill rebuilt itself (sources (b) and (c)): one per plan
// it ran on in the period, computed by billing-rules §2.2.

/** Who a server is and whom it bills, as the latest sighting or event says. */
export interface ServerIdentity {
  server: { id: number; uuid: string; name: string };
  billingUserId: bigint | null;
  solusioUserId: number | null;
}

/** Plan prices from a recorded row (snapshot segment or event) as the domain takes them. */
export function planRatesOf(
  row: Pick<
    ServerStateColumns,
    | "plan_name"
    | "tokens_per_hour"
    | "tokens_per_month"
    | "ip_tokens_per_hour"
    | "ip_tokens_per_month"
    | "backup_percent"
  > & { plan_id: bigint | number | null },
): PlanRates {
  return {
    id: row.plan_id === null ? null : Number(row.plan_id),
    name: row.plan_name,
    tokensPerHour: row.tokens_per_hour,
    tokensPerMonth: row.tokens_per_month,
    ipTokensPerHour: row.ip_tokens_per_hour,
    ipTokensPerMonth: row.ip_tokens_per_month,
    backupPercent: Decimal.parse(row.backup_percent, "backup_percent"),
  };
}

export function usageRecordsOf(
  who: ServerIdentity,
  history: ServerHistory,
  period: UsagePeriod,
): UsageRecord[] {
  return serverUsageInPeriod(history, period).map((group) => ({
    billingUserId: who.billingUserId,
    solusioUserId: who.solusioUserId,
    server: who.server,
    plan: {
      id: group.plan.id,
      name: group.plan.name,
      tokensPerHour: group.plan.tokensPerHour,
      tokensPerMonth: group.plan.tokensPerMonth,
      ipTokensPerHour: group.plan.ipTokensPerHour,
      ipTokensPerMonth: group.plan.ipTokensPerMonth,
      backupPercent: group.plan.backupPercent.toString(),
    },
    createdAt: history.createdAt,
    deletedAt: history.deletedAt,
    hours: group.hours,
    tokens: group.tokens,
    charge: group.charge,
    additionalIps: {
      count: group.ips.count,
      hours: group.ips.hours,
      tokens: group.ips.tokens,
      charge: group.ips.charge,
      perIp: group.ips.perIp.map((ip) => ({ hours: ip.hours, tokens: ip.tokens })),
    },
    backups:
      group.backups.hours > 0n
        ? {
            percent: group.backups.percent.toString(),
            hours: group.backups.hours,
            tokens: group.backups.tokens,
          }
        : null,
    reportedBySolusio: false,
  }));
}
