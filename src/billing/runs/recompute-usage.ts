import {
  billableHoursInPeriod,
  chargeAdditionalIps,
  chargeForPeriod,
  type ChargeKind,
} from "../../domain/charges.ts";
import type { UsagePeriod, UsageRecord } from "../../domain/usage-record.ts";
import type { Anomaly } from "./anomaly.ts";

/**
 * One server's usage as a run keeps it until its customer is invoiced: flat, with tokenbill's own §2
 * figures beside the billed ones. A big month holds hundreds of thousands of these, so there are no nested
 * objects or Dates (instants are epoch ms) and small counts share one bigint each.
 */
export interface BillableUsage {
  serverId: number;
  serverUuid: string;
  serverName: string;
  planName: string;
  createdAt: number;
  deletedAt: number | null;
  hours: bigint;
  tokens: bigint;
  charge: ChargeKind;
  ipCount: bigint;
  ipHours: bigint;
  ipTokens: bigint;
  ipCharge: ChargeKind;
  recomputedTokens: bigint;
  recomputedIpTokens: bigint;
}

const SHARED_LIMIT = 65_536;
const shared: bigint[] = [];

/** The same bigint object for every small count (hours, IPs, most token figures): saves memory, not time. */
function compact(n: bigint): bigint {
  if (n < 0n || n >= BigInt(SHARED_LIMIT)) return n;
  const i = Number(n);
  let v = shared[i];
  if (v === undefined) {
    v = n;
    shared[i] = v;
  }
  return v;
}

interface Recomputed {
  hours: bigint;
  tokens: bigint;
  charge: ChargeKind;
  ipTokens: bigint;
}

function recompute(record: UsageRecord, period: UsagePeriod): Recomputed {
  const hours = billableHoursInPeriod({
    createdAt: record.createdAt,
    deletedAt: record.deletedAt,
    periodStart: period.start,
    periodEnd: period.end,
  });
  const server = chargeForPeriod({
    tokensPerHour: record.plan.tokensPerHour,
    tokensPerMonth: record.plan.tokensPerMonth,
    hours,
  });
  const ips = chargeAdditionalIps({
    ipTokensPerHour: record.plan.ipTokensPerHour,
    ipTokensPerMonth: record.plan.ipTokensPerMonth,
    hours,
    count: record.additionalIps.count,
  });
  return { hours, tokens: server.tokens, charge: server.kind, ipTokens: ips.tokens };
}

/**
 * Recomputes one record by billing-rules §2 and reports where SolusIO's figures differ. The billed figures
 * stay SolusIO's (SolusIO "chooses which price to charge"); a record §2 cannot be applied to is billed as
 * reported and flagged.
 */
export function recomputeUsage(
  record: UsageRecord,
  period: UsagePeriod,
): { usage: BillableUsage; anomalies: Anomaly[] } {
  const where = { billingUserId: record.billingUserId, serverId: record.server.id };
  const anomalies: Anomaly[] = [];
  let mine: Recomputed;
  try {
    mine = recompute(record, period);
  } catch (e) {
    mine = {
      hours: record.hours,
      tokens: record.tokens,
      charge: record.charge,
      ipTokens: record.additionalIps.tokens,
    };
    anomalies.push({
      kind: "invalid_usage",
      message: `server ${record.server.id}: ${(e as Error).message}; billed as reported`,
      ...where,
      details: { created_at: record.createdAt, deleted_at: record.deletedAt },
    });
  }
  const tokensDiffer = mine.tokens !== record.tokens || mine.ipTokens !== record.additionalIps.tokens;
  if (record.reportedBySolusio && anomalies.length === 0 && (tokensDiffer || mine.hours !== record.hours)) {
    anomalies.push({
      kind: tokensDiffer ? "token_mismatch" : "hours_mismatch",
      message: tokensDiffer
        ? `server ${record.server.id} (${record.server.name}): SolusIO reports ${record.tokens} + ${record.additionalIps.tokens} IP tokens, billing-rules §2 gives ${mine.tokens} + ${mine.ipTokens}; SolusIO's figure is billed`
        : `server ${record.server.id} (${record.server.name}): SolusIO reports ${record.hours} h, billing-rules §2 gives ${mine.hours} h (same tokens)`,
      ...where,
      details: {
        solusio: {
          hours: record.hours,
          tokens: record.tokens,
          charge: record.charge,
          ip_tokens: record.additionalIps.tokens,
        },
        recomputed: { hours: mine.hours, tokens: mine.tokens, charge: mine.charge, ip_tokens: mine.ipTokens },
        plan: record.plan.name,
        created_at: record.createdAt,
        deleted_at: record.deletedAt,
      },
    });
  }
  const usage: BillableUsage = {
    serverId: record.server.id,
    serverUuid: record.server.uuid,
    serverName: record.server.name,
    planName: record.plan.name,
    createdAt: record.createdAt.getTime(),
    deletedAt: record.deletedAt === null ? null : record.deletedAt.getTime(),
    hours: compact(record.hours),
    tokens: compact(record.tokens),
    charge: record.charge,
    ipCount: compact(record.additionalIps.count),
    ipHours: compact(record.additionalIps.hours),
    ipTokens: compact(record.additionalIps.tokens),
    ipCharge: record.additionalIps.charge,
    recomputedTokens: compact(mine.tokens),
    recomputedIpTokens: compact(mine.ipTokens),
  };
  return { usage, anomalies };
}
