import type { UsagePeriod, UsageRecord, UsageSource } from "../../domain/usage-record.ts";
import type { Anomaly } from "./anomaly.ts";
import { type BillableUsage, recomputeUsage } from "./recompute-usage.ts";

export interface ImportedUsage {
  /** Known customers' usage, keyed by customer id (= billing_user_id). */
  byCustomer: Map<bigint, BillableUsage[]>;
  records: number;
  anomalies: Anomaly[];
}

/**
 * Reads a period's usage, recomputes every record (§2) and groups it by customer. Nothing is dropped
 * silently: a duplicate server, a missing or unknown billing_user_id each become an anomaly.
 */
export async function importUsage(
  source: UsageSource,
  period: UsagePeriod,
  isCustomer: (id: bigint) => boolean,
  onRecord?: (record: UsageRecord, records: number) => void | Promise<void>,
): Promise<ImportedUsage> {
  const byCustomer = new Map<bigint, BillableUsage[]>();
  const anomalies: Anomaly[] = [];
  const seen = new Set<number>();
  const unknown = new Map<bigint, { servers: number[]; tokens: bigint }>();
  let records = 0;
  for await (const record of source.fetchUsage(period)) {
    records++;
    await onRecord?.(record, records);
    if (seen.has(record.server.id)) {
      anomalies.push({
        kind: "duplicate_usage",
        message: `server ${record.server.id} appears more than once in the period's usage; the first record is billed`,
        billingUserId: record.billingUserId,
        serverId: record.server.id,
        details: { tokens: record.tokens, hours: record.hours },
      });
      continue;
    }
    seen.add(record.server.id);
    const { usage, anomalies: found } = recomputeUsage(record, period);
    anomalies.push(...found);
    const id = record.billingUserId;
    if (id === null) {
      anomalies.push({
        kind: "missing_billing_user",
        message: `server ${record.server.id} (${record.server.name}) belongs to SolusIO user ${record.solusioUserId ?? "?"} who has no billing_user_id: not billed`,
        serverId: record.server.id,
        details: {
          solusio_user_id: record.solusioUserId,
          tokens: record.tokens,
          ip_tokens: record.additionalIps.tokens,
        },
      });
    } else if (!isCustomer(id)) {
      const entry = unknown.get(id) ?? { servers: [], tokens: 0n };
      entry.servers.push(record.server.id);
      entry.tokens += record.tokens + record.additionalIps.tokens;
      unknown.set(id, entry);
    } else {
      const list = byCustomer.get(id);
      if (list) list.push(usage);
      else byCustomer.set(id, [usage]);
    }
  }
  for (const [id, entry] of unknown) {
    anomalies.push({
      kind: "unknown_billing_user",
      message: `billing_user_id ${id} is not a tokenbill customer: ${entry.servers.length} server(s), ${entry.tokens} tokens not billed`,
      billingUserId: id,
      details: { servers: entry.servers, tokens: entry.tokens },
    });
  }
  return { byCustomer, records, anomalies };
}
