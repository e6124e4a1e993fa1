import type { UsagePeriod, UsageRecord, UsageSource } from "../../domain/usage-record.ts";
import type { Anomaly } from "./anomaly.ts";

interface Seen {
  billingUserId: bigint | null;
  tokens: bigint;
  name: string;
}

/** Adds one record (one plan of a server) to the server's total: runtime, IPs and backups. */
function addTo(servers: Map<number, Seen>, r: UsageRecord): void {
  const tokens = r.tokens + r.additionalIps.tokens + (r.backups?.tokens ?? 0n);
  const seen = servers.get(r.server.id);
  if (seen) seen.tokens += tokens;
  else servers.set(r.server.id, { billingUserId: r.billingUserId, tokens, name: r.server.name });
}

/** Collects what the billed source reported, per server (all its plans), for the comparison below. */
export class UsageTally {
  readonly servers = new Map<number, Seen>();
  add(record: UsageRecord): void {
    addTo(this.servers, record);
  }
}

/**
 * Any two usage sources side by side (solusio-api.md §9): every server whose tokens differ between the two, or
 * that only one of them knows, is reported. Nothing billed changes.
 */
export async function crossCheckUsage(
  billed: UsageTally,
  other: UsageSource,
  period: UsagePeriod,
): Promise<Anomaly[]> {
  const anomalies: Anomaly[] = [];
  const otherServers = new Map<number, Seen>();
  for await (const r of other.fetchUsage(period)) addTo(otherServers, r);
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
