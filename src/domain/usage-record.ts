import type { ChargeKind } from "./charges.ts";

/** A billing period as UTC instants, [start, end). */
export interface UsagePeriod {
  start: Date;
  end: Date;
  /**
   * Only this billing user's servers are wanted (the portal's estimate of one customer). A hint: a source
   * that can narrow at the origin does (SolusIO's usage endpoint takes `billing_user_id`); callers still
   * filter what they get. Billing runs never set it.
   */
  billingUserId?: bigint | undefined;
}

/** Prices of the plan a server was billed on (integers, billing-rules §1). */
export interface UsagePlan {
  id: number | null;
  name: string;
  tokensPerHour: bigint;
  tokensPerMonth: bigint;
  ipTokensPerHour: bigint;
  ipTokensPerMonth: bigint;
  /** backup_price: percent of the runtime tokens charged while backups are on, exact decimal text ("10", "12.5"). */
  backupPercent: string;
}

/** A plan group's additional IPs (billing-rules §2.2): `hours` are IP-hours, the cap applies per IP. */
export interface UsageIps {
  count: bigint;
  hours: bigint;
  tokens: bigint;
  charge: ChargeKind;
  /** Each IP's hours on this plan, when the source knows them: lets tokenbill recompute the per-IP caps. */
  perIp?: { hours: bigint; tokens: bigint }[];
}

/** A plan group's paid backups: `hours` of the group with backups on at the hour's start. */
export interface UsageBackups {
  percent: string;
  hours: bigint;
  tokens: bigint;
}

/**
 * One server's usage on one plan in one period, whatever the source (solusio-api.md §9): a server that
 * changed plan has one record per plan (billing-rules §2.2), consecutive, in the order the plans held.
 * `tokens`, `additionalIps.tokens` and `backups.tokens` are the figures to bill; `reportedBySolusio` says
 * they are SolusIO's own, which tokenbill bills as given and only checks against its recomputation.
 */
export interface UsageRecord {
  billingUserId: bigint | null;
  solusioUserId: number | null;
  server: { id: number; uuid: string; name: string };
  plan: UsagePlan;
  createdAt: Date;
  deletedAt: Date | null;
  hours: bigint;
  tokens: bigint;
  charge: ChargeKind;
  additionalIps: UsageIps;
  backups: UsageBackups | null;
  reportedBySolusio: boolean;
}

/** Something a source wants in the run's report, e.g. that its data may be incomplete. */
export interface UsageNote {
  kind: string;
  message: string;
  details: Record<string, unknown>;
  /** The server and billing user the note is about, when it is about one (the anomaly's columns). */
  serverId?: number;
  billingUserId?: bigint | null;
}

/**
 * Where usage comes from: the SolusIO usage endpoint (a), tokenbill's own server snapshots (b), SolusIO's
 * activity log (c), or (b) and (c) together.
 */
export interface UsageSource {
  /** A short name recorded on the billing run ("solusio", "snapshots", "synthetic"). */
  readonly name: string;
  fetchUsage(period: UsagePeriod): AsyncIterable<UsageRecord>;
  /** Caveats about the usage of this period, reported as anomalies of the run. */
  notes?(period: UsagePeriod): Promise<UsageNote[]>;
}
