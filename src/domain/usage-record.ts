import type { ChargeKind } from "./charges.ts";

/** A billing period as UTC instants, [start, end). */
export interface UsagePeriod {
  start: Date;
  end: Date;
}

/** Prices of the plan a server was billed on (integers, billing-rules §1). */
export interface UsagePlan {
  id: number | null;
  name: string;
  tokensPerHour: bigint;
  tokensPerMonth: bigint;
  ipTokensPerHour: bigint;
  ipTokensPerMonth: bigint;
}

/**
 * One server's usage in one period, whatever the source (solusio-api.md §9). `tokens` and
 * `additionalIps.tokens` are the figures to bill; `reportedBySolusio` says they are SolusIO's own, which
 * tokenbill bills as given and only checks against its recomputation (billing-rules §2).
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
  additionalIps: { count: bigint; hours: bigint; tokens: bigint; charge: ChargeKind };
  reportedBySolusio: boolean;
}

/** Something a source wants in the run's report, e.g. that its data may be incomplete. */
export interface UsageNote {
  kind: string;
  message: string;
  details: Record<string, unknown>;
}

/** Where usage comes from: the SolusIO usage endpoint (a) or tokenbill's own server snapshots (b). */
export interface UsageSource {
  /** A short name recorded on the billing run ("solusio", "snapshots", "synthetic"). */
  readonly name: string;
  fetchUsage(period: UsagePeriod): AsyncIterable<UsageRecord>;
  /** Caveats about the usage of this period, reported as anomalies of the run. */
  notes?(period: UsagePeriod): Promise<UsageNote[]>;
}
