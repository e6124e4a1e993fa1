import { billableHoursInPeriod } from "../../domain/charges.ts";
import type { UsagePeriod, UsageRecord, UsageSource } from "../../domain/usage-record.ts";
import type { Anomaly } from "./anomaly.ts";
import { type BillableUsage, recomputeUsage } from "./recompute-usage.ts";

/** The records of one server seen so far: its plan groups' hours must add up to its lifetime's (§2.2). */
interface ServerHours {
  record: UsageRecord;
  hours: bigint;
}

/**
 * Every hour of a server belongs to exactly one plan group, so the groups' hours add up to the hours of its
 * lifetime in the period (billing-rules §2, §2.2); SolusIO's figures that do not are reported, not changed.
 */
function checkServerHours(server: ServerHours, period: UsagePeriod): Anomaly | null {
  const { record } = server;
  if (!record.reportedBySolusio) return null;
  let lifetime: bigint;
  try {
    lifetime = billableHoursInPeriod({
      createdAt: record.createdAt,
      deletedAt: record.deletedAt,
      periodStart: period.start,
      periodEnd: period.end,
    });
  } catch {
    return null; // recomputeUsage has already reported the record as invalid
  }
  if (lifetime === server.hours) return null;
  return {
    kind: "hours_mismatch",
    message: `server ${record.server.id} (${record.server.name}): SolusIO reports ${server.hours} h over its plans, billing-rules §2 gives ${lifetime} h for its lifetime; SolusIO's figures are billed`,
    billingUserId: record.billingUserId,
    serverId: record.server.id,
    details: {
      solusio_hours: server.hours,
      recomputed_hours: lifetime,
      created_at: record.createdAt,
      deleted_at: record.deletedAt,
    },
  };
}

export interface ImportedUsage {
  /** Known customers' usage, keyed by customer id (= billing_user_id). */
  byCustomer: Map<bigint, BillableUsage[]>;
  records: number;
  anomalies: Anomaly[];
}

/**
 * Reads a period's usage, recomputes every record (§2, §2.2) and groups it by customer. Nothing is dropped
 * silently: a duplicate server and plan, a missing or unknown billing_user_id each become an anomaly. A
 * server's records (one per plan) come one after another, so its hours are checked when the next begins.
 */
export async function importUsage(
  source: UsageSource,
  period: UsagePeriod,
  isCustomer: (id: bigint) => boolean,
  onRecord?: (record: UsageRecord, records: number) => void | Promise<void>,
): Promise<ImportedUsage> {
  const byCustomer = new Map<bigint, BillableUsage[]>();
  const anomalies: Anomaly[] = [];
  const seen = new Set<string>();
  const unknown = new Map<bigint, { servers: number[]; tokens: bigint }>();
  let current: ServerHours | null = null;
  const closeServer = () => {
    const found = current && checkServerHours(current, period);
    if (found) anomalies.push(found);
  };
  let records = 0;
  for await (const record of source.fetchUsage(period)) {
    records++;
    await onRecord?.(record, records);
    const key = `${record.server.id}:${record.plan.id ?? record.plan.name}`;
    if (seen.has(key)) {
      anomalies.push({
        kind: "duplicate_usage",
        message: `server ${record.server.id} on plan ${record.plan.name} appears more than once in the period's usage; the first record is billed`,
        billingUserId: record.billingUserId,
        serverId: record.server.id,
        details: { tokens: record.tokens, hours: record.hours, plan_id: record.plan.id },
      });
      continue;
    }
    seen.add(key);
    if (current?.record.server.id === record.server.id) current.hours += record.hours;
    else {
      closeServer();
      current = { record, hours: record.hours };
    }
    const { usage, anomalies: found } = recomputeUsage(record);
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
      entry.tokens += record.tokens + record.additionalIps.tokens + (record.backups?.tokens ?? 0n);
      unknown.set(id, entry);
    } else {
      const list = byCustomer.get(id);
      if (list) list.push(usage);
      else byCustomer.set(id, [usage]);
    }
  }
  closeServer();
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
