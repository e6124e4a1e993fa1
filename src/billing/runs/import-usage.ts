import { billableHoursInPeriod } from "../../domain/charges.ts";
import { Decimal } from "../../domain/decimal.ts";
import type { UsagePeriod, UsageRecord, UsageSource } from "../../domain/usage-record.ts";
import { giveWay } from "../../db/give-way.ts";
import type { Tx } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { Anomaly } from "./anomaly.ts";
import { usageOutOfRange } from "./books-range.ts";
import { recomputeUsage } from "./recompute-usage.ts";
import type { StagedRecord, UsageStage } from "./usage-stage.ts";

/**
 * A record as a page keeps it until the page is written: the staged row and the two facts of the source's
 * record that the row does not hold. The source's record itself (nested objects, Dates, bigints) is dropped
 * at once: a page outlives young-generation collections, and each of them copies what the page holds (for
 * 300,000 records, 0.32–0.45 s of scavenges against 0.57–0.69 s with the record kept, 2026-12-02).
 */
interface PageEntry {
  staged: StagedRecord;
  solusioUserId: number | null;
  reportedBySolusio: boolean;
  /** The record's own anomalies; undefined for the common record that has none. */
  found: Anomaly[] | undefined;
}

/** The records of one server seen so far: its plan groups' hours must add up to its lifetime's (§2.2). */
interface ServerHours {
  entry: PageEntry;
  hours: bigint;
}

/**
 * Every hour of a server belongs to exactly one plan group, so the groups' hours add up to the hours of its
 * lifetime in the period (billing-rules §2, §2.2); SolusIO's figures that do not are reported, not changed.
 */
function checkServerHours(server: ServerHours, period: UsagePeriod): Anomaly | null {
  const { staged, reportedBySolusio } = server.entry;
  if (!reportedBySolusio) return null;
  const usage = staged.usage;
  const createdAt = new Date(usage.createdAt);
  const deletedAt = usage.deletedAt === null ? null : new Date(usage.deletedAt);
  let lifetime: bigint;
  try {
    lifetime = billableHoursInPeriod({
      createdAt,
      deletedAt,
      periodStart: period.start,
      periodEnd: period.end,
    });
  } catch {
    return null; // recomputeUsage has already reported the record as invalid
  }
  if (lifetime === server.hours) return null;
  return {
    kind: "hours_mismatch",
    message: `server ${usage.serverId} (${usage.serverName}): SolusIO reports ${server.hours} h over its plans, billing-rules §2 gives ${lifetime} h for its lifetime; SolusIO's figures are billed`,
    billingUserId: staged.billingUserId,
    serverId: usage.serverId,
    details: {
      solusio_hours: server.hours,
      recomputed_hours: lifetime,
      created_at: createdAt,
      deleted_at: deletedAt,
    },
  };
}

/**
 * A record's plan group (billing-rules §2.2): the plan (its id, else its name) and all its prices, so a plan
 * re-priced in mid-month gives a server two records that are not duplicates (until 2026-12-06 the second one
 * was dropped as `duplicate_usage`).
 */
function planKeyOf(record: UsageRecord): string {
  const p = record.plan;
  return [
    p.id ?? p.name,
    p.tokensPerHour,
    p.tokensPerMonth,
    p.ipTokensPerHour,
    p.ipTokensPerMonth,
    canonicalPercent(p.backupPercent),
  ].join("|");
}

/** 10 and 10.0 are one price; a percent that is no decimal is compared as written (recompute reports it). */
function canonicalPercent(percent: string): string {
  try {
    return Decimal.parse(percent, "plan.backup_price").toString();
  } catch {
    return percent;
  }
}

export interface ImportedUsage {
  records: number;
  /** Customers with usage: how many invoices drafting will make or find. */
  customers: number;
}

export interface ImportUsageInput {
  source: UsageSource;
  period: UsagePeriod;
  stage: UsageStage;
  /** Writes anomalies as they are found, so none is held until the end. */
  report: (anomalies: Anomaly[]) => Promise<void>;
  /** Told after every page is staged; writes the run's progress and heartbeat. */
  onProgress?: (records: number) => Promise<void>;
  /** Told of every record as it arrives from the source, before it is staged (cheap: a counter). */
  onRecord?: () => void;
}

// Records per staging statement: large enough that a statement's cost is per row, small enough to keep a
// page (and its anomalies) a few MB.
const PAGE = 2000;

/**
 * Streams a period's usage into the run's stage, page by page, recomputing every record (§2, §2.2) on the
 * way. Nothing is dropped silently: a duplicate server and plan, a missing or unknown billing_user_id each
 * become an anomaly. Only two pages (one being written, one being read) and the server being read are in
 * memory: a server's records (one per plan) come one after another, so its hours are checked when the next
 * server begins, and the stage's unique key, not a set in memory, finds duplicates.
 */
export async function importUsage(db: Tx, input: ImportUsageInput): Promise<ImportedUsage> {
  let records = 0;
  let current: ServerHours | null = null;
  let page: PageEntry[] = [];
  let writing: Promise<void> = Promise.resolve();

  // Pages are written one at a time, in order, while the source produces the next one.
  const flush = async (batch: PageEntry[]) => {
    // On PGlite, what came in while the page was read (an API request) has the session before its write.
    await giveWay(db);
    const written = await input.stage.write(
      db,
      batch.map((p) => p.staged),
    );
    const anomalies: Anomaly[] = [];
    for (const entry of batch) {
      const { staged, found } = entry;
      const usage = staged.usage;
      if (!written.has(staged.seq)) {
        anomalies.push({
          kind: "duplicate_usage",
          message: `server ${usage.serverId} on plan ${usage.planName} appears more than once in the period's usage; the first record is billed`,
          billingUserId: staged.billingUserId,
          serverId: usage.serverId,
          details: { tokens: usage.tokens, hours: usage.hours, plan_id: usage.planId },
        });
        continue;
      }
      if (current?.entry.staged.usage.serverId === usage.serverId) current.hours += usage.hours;
      else {
        const closed = current && checkServerHours(current, input.period);
        if (closed) anomalies.push(closed);
        current = { entry, hours: usage.hours };
      }
      if (found) anomalies.push(...found);
      if (staged.billingUserId === null) anomalies.push(missingBillingUser(entry));
    }
    await input.report(anomalies);
    await input.onProgress?.(batch.at(-1)!.staged.seq);
  };

  for await (const record of input.source.fetchUsage(input.period)) {
    records++;
    input.onRecord?.();
    const { usage, anomalies: found } = recomputeUsage(record);
    const outOfRange = usageOutOfRange(usage, record.billingUserId);
    if (outOfRange !== undefined) {
      // Stops the run before this page is written; the page being written finishes first.
      await writing.catch(() => {});
      throw new ServiceError("CONFLICT", outOfRange);
    }
    page.push({
      staged: {
        seq: records,
        billingUserId: record.billingUserId,
        planKey: planKeyOf(record),
        usage,
      },
      solusioUserId: record.solusioUserId,
      reportedBySolusio: record.reportedBySolusio,
      found: found.length > 0 ? found : undefined,
    });
    if (page.length >= PAGE) {
      const batch = page;
      page = [];
      await writing;
      writing = flush(batch);
      // Awaited before the next page or at the end; until then a failure must not count as unhandled.
      writing.catch(() => {});
    }
  }
  await writing;
  if (page.length > 0) await flush(page);
  const last = current && checkServerHours(current, input.period);
  if (last) await input.report([last]);

  await input.stage.index(db);
  await reportUnknownUsers(db, input);
  return { records, customers: await input.stage.countCustomers(db) };
}

function missingBillingUser({ staged, solusioUserId }: PageEntry): Anomaly {
  const usage = staged.usage;
  return {
    kind: "missing_billing_user",
    message: `server ${usage.serverId} (${usage.serverName}) belongs to SolusIO user ${solusioUserId ?? "?"} who has no billing_user_id: not billed`,
    serverId: usage.serverId,
    details: {
      solusio_user_id: solusioUserId,
      tokens: usage.tokens,
      ip_tokens: usage.ipTokens,
    },
  };
}

/** One `unknown_billing_user` per id that is no customer, read from the stage a page at a time. */
async function reportUnknownUsers(db: Tx, input: ImportUsageInput): Promise<void> {
  for (let after = -1n; ; ) {
    const users = await input.stage.unknownUsers(db, after, PAGE);
    if (users.length === 0) return;
    await input.report(
      users.map((u) => ({
        kind: "unknown_billing_user",
        message: `billing_user_id ${u.billing_user_id} is not a tokenbill customer: ${u.servers.length} server(s), ${u.tokens} tokens not billed`,
        billingUserId: u.billing_user_id,
        details: { servers: u.servers.map(Number), tokens: BigInt(u.tokens) },
      })),
    );
    after = users.at(-1)!.billing_user_id;
  }
}
