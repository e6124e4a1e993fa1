import { chargeForPeriod, type ChargeKind } from "../../domain/charges.ts";
import { Decimal } from "../../domain/decimal.ts";
import { backupTokens } from "../../domain/server-usage.ts";
import type { UsagePlan, UsageRecord } from "../../domain/usage-record.ts";
import type { Anomaly } from "./anomaly.ts";
import { BIGINT_MAX } from "./books-range.ts";

/**
 * One server's usage on one plan as a run keeps it until its customer is invoiced: flat, with tokenbill's
 * own figures (billing-rules §2, §2.2) beside the billed ones. A big month holds hundreds of thousands of
 * these, so there are no nested objects or Dates (instants are epoch ms) and small counts share one bigint.
 */
export interface BillableUsage {
  serverId: number;
  serverUuid: string;
  serverName: string;
  planId: number | null;
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
  /** null: no backup line (the plan group had no backup hour). */
  backupPercent: string | null;
  backupHours: bigint;
  backupTokens: bigint;
  recomputedTokens: bigint;
  recomputedIpTokens: bigint;
  recomputedBackupTokens: bigint;
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
  tokens: bigint;
  charge: ChargeKind;
  /** null when the source gives neither each IP's hours nor hours that split evenly between its IPs. */
  ipTokens: bigint | null;
  backupTokens: bigint;
}

/** One IP's tokens for its hours on the plan (§2.2: each IP is capped on its own). */
function tokensOfOneIp(plan: UsagePlan, hours: bigint): bigint {
  return chargeForPeriod({
    tokensPerHour: plan.ipTokensPerHour,
    tokensPerMonth: plan.ipTokensPerMonth,
    hours,
  }).tokens;
}

/**
 * The IP line by §2.2: each IP capped on its own. With each IP's hours known that is exact; with only the
 * total, IPs that all had the same hours are the one case that can be checked. No closure is made per call:
 * under tsx every closure made is also named (esbuild's keepNames, an Object.defineProperty): 79 ms of a
 * 100,000-customer import's 3.6 s in a profile, and about 5 % of its allocations (scavenges).
 */
function recomputeIps(record: UsageRecord): bigint | null {
  const { plan, additionalIps: ips } = record;
  if (ips.perIp) {
    let sum = 0n;
    for (const ip of ips.perIp) sum += tokensOfOneIp(plan, ip.hours);
    return sum;
  }
  if (ips.count === 0n) return 0n;
  if (ips.hours % ips.count !== 0n) return null;
  return tokensOfOneIp(plan, ips.hours / ips.count) * ips.count;
}

/** Tokens of one record from its own hours: the plan group's hours are the source's, checked per server. */
function recompute(record: UsageRecord): Recomputed {
  const server = chargeForPeriod({
    tokensPerHour: record.plan.tokensPerHour,
    tokensPerMonth: record.plan.tokensPerMonth,
    hours: record.hours,
  });
  const backups = record.backups;
  const backup =
    backups === null
      ? 0n
      : backupTokens(
          record.tokens,
          Decimal.parse(backups.percent, "backups.percent"),
          backups.hours,
          record.hours,
        );
  const ipTokens = recomputeIps(record);
  // Kept beside the billed figures in the stage's bigint columns: a count past them is the source's error
  // (thousands of trillions of IPs), reported with the record rather than failing the stage's write.
  if (server.tokens > BIGINT_MAX || (ipTokens ?? 0n) > BIGINT_MAX || backup > BIGINT_MAX)
    throw new Error(
      `tokenbill's own figures (${describe(server.tokens, ipTokens, backup)}) are more than the books hold (${BIGINT_MAX})`,
    );
  return { tokens: server.tokens, charge: server.kind, ipTokens, backupTokens: backup };
}

function describe(tokens: bigint, ips: bigint | null, backups: bigint): string {
  return `${tokens} + ${ips ?? "?"} IP + ${backups} backup tokens`;
}

/**
 * Recomputes one record by billing-rules §2 and §2.2 and reports where SolusIO's figures differ. The billed
 * figures stay SolusIO's (SolusIO "chooses which price to charge"); a record the rules cannot be applied to
 * is billed as reported and flagged. Hours are checked per server, across its records (import-usage.ts).
 */
export function recomputeUsage(record: UsageRecord): { usage: BillableUsage; anomalies: Anomaly[] } {
  const where = { billingUserId: record.billingUserId, serverId: record.server.id };
  const anomalies: Anomaly[] = [];
  const reportedBackups = record.backups?.tokens ?? 0n;
  let mine: Recomputed;
  try {
    mine = recompute(record);
  } catch (e) {
    mine = {
      tokens: record.tokens,
      charge: record.charge,
      ipTokens: record.additionalIps.tokens,
      backupTokens: reportedBackups,
    };
    anomalies.push({
      kind: "invalid_usage",
      message: `server ${record.server.id}: ${(e as Error).message}; billed as reported`,
      ...where,
      details: { created_at: record.createdAt, deleted_at: record.deletedAt, plan: record.plan.name },
    });
  }
  const differs =
    mine.tokens !== record.tokens ||
    (mine.ipTokens !== null && mine.ipTokens !== record.additionalIps.tokens) ||
    mine.backupTokens !== reportedBackups;
  if (record.reportedBySolusio && anomalies.length === 0 && differs) {
    anomalies.push({
      kind: "token_mismatch",
      message: `server ${record.server.id} (${record.server.name}) on ${record.plan.name}: SolusIO reports ${describe(record.tokens, record.additionalIps.tokens, reportedBackups)}, billing-rules §2 gives ${describe(mine.tokens, mine.ipTokens, mine.backupTokens)}; SolusIO's figure is billed`,
      ...where,
      details: {
        solusio: {
          hours: record.hours,
          tokens: record.tokens,
          charge: record.charge,
          ip_tokens: record.additionalIps.tokens,
          backup_tokens: reportedBackups,
        },
        recomputed: {
          tokens: mine.tokens,
          charge: mine.charge,
          ip_tokens: mine.ipTokens,
          backup_tokens: mine.backupTokens,
        },
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
    planId: record.plan.id,
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
    backupPercent:
      record.backups && (record.backups.hours > 0n || reportedBackups > 0n) ? record.backups.percent : null,
    backupHours: compact(record.backups?.hours ?? 0n),
    backupTokens: compact(reportedBackups),
    recomputedTokens: compact(mine.tokens),
    recomputedIpTokens: compact(mine.ipTokens ?? record.additionalIps.tokens),
    recomputedBackupTokens: compact(mine.backupTokens),
  };
  return { usage, anomalies };
}
