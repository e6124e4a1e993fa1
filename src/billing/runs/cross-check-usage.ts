import type { UsagePeriod, UsageRecord, UsageSource } from "../../domain/usage-record.ts";
import type { Anomaly } from "./anomaly.ts";

interface Seen {
  billingUserId: bigint | null;
  tokens: bigint;
  name: string;
}

const seenOf = (r: UsageRecord): Seen => ({
  billingUserId: r.billingUserId,
  tokens: r.tokens + r.additionalIps.tokens,
  name: r.server.name,
});

/** Collects what the billed source reported, per server, for the comparison below. */
export class UsageTally {
  readonly servers = new Map<number, Seen>();
  add(record: UsageRecord): void {
    this.servers.set(record.server.id, seenOf(record));
  }
}

/**
 * Usage source (b) beside (a) (solusio-api.md §9): every server whose tokens differ between the two, or
 * that only one of them knows, is reported. Nothing billed changes.
 */
export async function crossCheckUsage(
  billed: UsageTally,
  other: UsageSource,
  period: UsagePeriod,
): Promise<Anomaly[]> {
  const anomalies: Anomaly[] = [];
  const otherServers = new Map<number, Seen>();
  for await (const r of other.fetchUsage(period)) otherServers.set(r.server.id, seenOf(r));
  for (const [id, a] of billed.servers) {
    const b = otherServers.get(id);
    if (!b) {
      anomalies.push({
        kind: "cross_check_missing",
        message: `server ${id} (${a.name}) is in the billed usage but not in ${other.name}`,
        billingUserId: a.billingUserId,
        serverId: id,
        details: { billed_tokens: a.tokens, missing_from: other.name },
      });
    } else if (a.tokens !== b.tokens) {
      anomalies.push({
        kind: "cross_check_mismatch",
        message: `server ${id} (${a.name}): ${a.tokens} tokens billed, ${b.tokens} by ${other.name}`,
        billingUserId: a.billingUserId,
        serverId: id,
        details: { billed_tokens: a.tokens, [`${other.name}_tokens`]: b.tokens },
      });
    }
  }
  for (const [id, b] of otherServers) {
    if (billed.servers.has(id)) continue;
    anomalies.push({
      kind: "cross_check_missing",
      message: `server ${id} (${b.name}) is in ${other.name} (${b.tokens} tokens) but not in the billed usage`,
      billingUserId: b.billingUserId,
      serverId: id,
      details: { other_tokens: b.tokens, missing_from: "billed usage" },
    });
  }
  return anomalies;
}
