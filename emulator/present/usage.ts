import type { UsageLine, UsagePeriod } from "../ops/usage.ts";
import { apiTimestamp, periodTimestamp } from "./time.ts";

/**
 * One item of the usage endpoint: one server on one plan (solusio-api.md §9 (a), billing-rules §2.2). The
 * whole shape is [OURS]: if a live SolusIO answers differently, this function (and its twin in tokenbill's
 * src/solusio/usage-schemas.ts) is what changes.
 */
export function presentUsageLine(line: UsageLine, period: UsagePeriod) {
  const { server, owner, plan } = line;
  return {
    server: { id: server.id, uuid: server.uuid, name: server.name },
    user: { id: server.userId, billing_user_id: owner?.billingUserId ?? null },
    plan: {
      id: plan.id,
      name: plan.name,
      tokens_per_hour: plan.tokensPerHour,
      tokens_per_month: plan.tokensPerMonth,
      ip_tokens_per_hour: plan.ipTokensPerHour,
      ip_tokens_per_month: plan.ipTokensPerMonth,
      backup_price: plan.backupPrice,
    },
    period_start: periodTimestamp(period.start),
    period_end: periodTimestamp(period.end),
    created_at: apiTimestamp(server.createdAt),
    deleted_at: server.deletedAt ? apiTimestamp(server.deletedAt) : null,
    hours: Number(line.hours),
    tokens: Number(line.tokens),
    charge: line.charge,
    // hours: the IP-hours of this plan group; count: the IPs with at least one of them [OURS].
    additional_ips: {
      count: Number(line.ips.count),
      hours: Number(line.ips.hours),
      tokens: Number(line.ips.tokens),
      charge: line.ips.charge,
      ips: line.ips.each.map((ip) => ({ id: ip.id, hours: Number(ip.hours), tokens: Number(ip.tokens) })),
    },
    ...(line.backups
      ? {
          backups: {
            price_percent: line.backups.percent,
            hours: Number(line.backups.hours),
            tokens: Number(line.backups.tokens),
          },
        }
      : {}),
  };
}
