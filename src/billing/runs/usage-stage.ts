import { type RawBuilder, sql } from "kysely";
import type { ChargeKind } from "../../domain/charges.ts";
import type { Tx } from "../../kernel/context.ts";
import { randomHex } from "../../kernel/random-hex.ts";
import type { BillableUsage } from "./recompute-usage.ts";
import { columnList, type UnnestColumn, unnestRows } from "../../db/unnest-rows.ts";

// A run's usage lives in the database between import and drafting, not in the process: one UNLOGGED table
// per run (billing_usage_<run hex>), so memory stays flat however many customers there are, concurrent runs
// never see each other's rows, and the whole stage goes with one DROP instead of a DELETE of millions of
// rows. UNLOGGED: a crash of PostgreSQL also ends the run that owns the table, so there is nothing to keep.

/** One record as staged: its place in the source's order, who it belongs to, and its billable figures. */
export interface StagedRecord {
  seq: number;
  billingUserId: bigint | null;
  /**
   * The plan group's identity (plan id, else its name, and all its prices): a second record of the server with
   * the same key is a duplicate.
   */
  planKey: string;
  usage: BillableUsage;
}

/** What a customer batch reads back: each customer's usage in the source's order. */
export interface CustomerUsage {
  customerId: bigint;
  usage: BillableUsage[];
}

const COLUMNS: UnnestColumn<StagedRecord>[] = [
  { name: "seq", type: "bigint", value: (r) => r.seq },
  { name: "billing_user_id", type: "bigint", value: (r) => r.billingUserId },
  { name: "server_id", type: "bigint", value: (r) => r.usage.serverId },
  { name: "plan_key", type: "text", value: (r) => r.planKey },
  { name: "server_uuid", type: "text", value: (r) => r.usage.serverUuid },
  { name: "server_name", type: "text", value: (r) => r.usage.serverName },
  { name: "plan_id", type: "bigint", value: (r) => r.usage.planId },
  { name: "plan_name", type: "text", value: (r) => r.usage.planName },
  { name: "created_at", type: "bigint", value: (r) => r.usage.createdAt },
  { name: "deleted_at", type: "bigint", value: (r) => r.usage.deletedAt },
  { name: "hours", type: "bigint", value: (r) => r.usage.hours },
  { name: "tokens", type: "bigint", value: (r) => r.usage.tokens },
  { name: "charge", type: "text", value: (r) => r.usage.charge },
  { name: "ip_count", type: "bigint", value: (r) => r.usage.ipCount },
  { name: "ip_hours", type: "bigint", value: (r) => r.usage.ipHours },
  { name: "ip_tokens", type: "bigint", value: (r) => r.usage.ipTokens },
  { name: "ip_charge", type: "text", value: (r) => r.usage.ipCharge },
  { name: "backup_percent", type: "text", value: (r) => r.usage.backupPercent },
  { name: "backup_hours", type: "bigint", value: (r) => r.usage.backupHours },
  { name: "backup_tokens", type: "bigint", value: (r) => r.usage.backupTokens },
  { name: "recomputed_tokens", type: "bigint", value: (r) => r.usage.recomputedTokens },
  { name: "recomputed_ip_tokens", type: "bigint", value: (r) => r.usage.recomputedIpTokens },
  { name: "recomputed_backup_tokens", type: "bigint", value: (r) => r.usage.recomputedBackupTokens },
];

const STAGE_PREFIX = "billing_usage_";
const CHECK_PREFIX = "billing_check_";
/** The console's month-to-date estimate: `usage_estimate_<unix seconds>_<hex>`, the time for the clean-up. */
const ESTIMATE_PREFIX = "usage_estimate_";

/** The stage of a run: `run_0123…` → `billing_usage_0123…` (run ids are `run_` and lowercase hex). */
function stageTableOf(runId: string): string {
  const hex = /^run_([0-9a-f]+)$/.exec(runId)?.[1];
  if (!hex) throw new Error(`not a billing run id: ${runId}`);
  return `${STAGE_PREFIX}${hex}`;
}

interface StagedRow {
  customer_id: bigint;
  server_id: bigint;
  server_uuid: string;
  server_name: string;
  plan_id: bigint | null;
  plan_name: string;
  created_at: bigint;
  deleted_at: bigint | null;
  hours: bigint;
  tokens: bigint;
  charge: ChargeKind;
  ip_count: bigint;
  ip_hours: bigint;
  ip_tokens: bigint;
  ip_charge: ChargeKind;
  backup_percent: string | null;
  backup_hours: bigint;
  backup_tokens: bigint;
  recomputed_tokens: bigint;
  recomputed_ip_tokens: bigint;
  recomputed_backup_tokens: bigint;
}

function usageOf(r: StagedRow): BillableUsage {
  return {
    serverId: Number(r.server_id),
    serverUuid: r.server_uuid,
    serverName: r.server_name,
    planId: r.plan_id === null ? null : Number(r.plan_id),
    planName: r.plan_name,
    createdAt: Number(r.created_at),
    deletedAt: r.deleted_at === null ? null : Number(r.deleted_at),
    hours: r.hours,
    tokens: r.tokens,
    charge: r.charge,
    ipCount: r.ip_count,
    ipHours: r.ip_hours,
    ipTokens: r.ip_tokens,
    ipCharge: r.ip_charge,
    backupPercent: r.backup_percent,
    backupHours: r.backup_hours,
    backupTokens: r.backup_tokens,
    recomputedTokens: r.recomputed_tokens,
    recomputedIpTokens: r.recomputed_ip_tokens,
    recomputedBackupTokens: r.recomputed_backup_tokens,
  };
}

/** A run's staged usage: written page by page during import, read back in customer batches to draft. */
export class UsageStage {
  private readonly table: RawBuilder<unknown>;

  private constructor(readonly name: string) {
    this.table = sql.table(name);
  }

  /** The stage of a run; `create` makes its table (once). */
  static of(runId: string): UsageStage {
    return new UsageStage(stageTableOf(runId));
  }

  /**
   * A stage of the month-to-date estimate (services/dashboard): no run owns it, so billing's clean-up
   * (dropStaleStages) leaves it alone, and the name says when it was made for dropStaleEstimates.
   */
  static forEstimate(madeAt: Date): UsageStage {
    return new UsageStage(`${ESTIMATE_PREFIX}${Math.floor(madeAt.getTime() / 1000)}_${randomHex(4)}`);
  }

  /**
   * No keyset index yet: building it once after the load is cheaper than keeping it up while rows arrive in
   * the source's (server) order. The unique key is what finds duplicates, so it is there from the start.
   */
  async create(db: Tx): Promise<void> {
    await sql`
      CREATE UNLOGGED TABLE ${this.table} (
        seq bigint NOT NULL,
        billing_user_id bigint,
        customer_id bigint,
        server_id bigint NOT NULL,
        plan_key text NOT NULL,
        server_uuid text NOT NULL,
        server_name text NOT NULL,
        plan_id bigint,
        plan_name text NOT NULL,
        created_at bigint NOT NULL,
        deleted_at bigint,
        hours bigint NOT NULL,
        tokens bigint NOT NULL,
        charge text NOT NULL,
        ip_count bigint NOT NULL,
        ip_hours bigint NOT NULL,
        ip_tokens bigint NOT NULL,
        ip_charge text NOT NULL,
        backup_percent text,
        backup_hours bigint NOT NULL,
        backup_tokens bigint NOT NULL,
        recomputed_tokens bigint NOT NULL,
        recomputed_ip_tokens bigint NOT NULL,
        recomputed_backup_tokens bigint NOT NULL,
        UNIQUE (server_id, plan_key)
      )`.execute(db);
  }

  /**
   * Writes one page in one statement and returns the `seq` of the records written: a record whose server and
   * plan are already staged (earlier in the page or in an earlier page) is skipped, so the first one wins.
   * `customer_id` is set only when the billing_user_id is a customer: the rest are reported, not billed.
   */
  async write(db: Tx, records: readonly StagedRecord[]): Promise<Set<number>> {
    if (records.length === 0) return new Set();
    const names = columnList(COLUMNS);
    const { rows } = await sql<{ seq: bigint }>`
      INSERT INTO ${this.table} (${names}, customer_id)
      SELECT u.*, c.id FROM (${unnestRows(COLUMNS, records)}) AS u
        LEFT JOIN customer c ON c.id = u.billing_user_id
      ORDER BY u.seq
      ON CONFLICT (server_id, plan_key) DO NOTHING
      RETURNING seq`.execute(db);
    return new Set(rows.map((r) => Number(r.seq)));
  }

  /**
   * The keyset index drafting reads by; also finds the records of no customer (customer_id IS NULL). Only the
   * columns the stage is searched, joined or grouped by are analyzed: the row count comes with any column,
   * and the text columns were most of ANALYZE's time (30,000 staged records on PostgreSQL 15: 118–124 ms for
   * every column, 13–14 ms for these three).
   */
  async index(db: Tx): Promise<void> {
    await sql`CREATE INDEX ON ${this.table} (customer_id, seq)`.execute(db);
    await sql`ANALYZE ${this.table} (customer_id, billing_user_id, server_id)`.execute(db);
  }

  /** How many customers have usage: the drafting phase's total. */
  async countCustomers(db: Tx): Promise<number> {
    const { rows } = await sql<{ n: bigint }>`
      SELECT count(DISTINCT customer_id) AS n FROM ${this.table} WHERE customer_id IS NOT NULL`.execute(db);
    return Number(rows[0]!.n);
  }

  /** How many servers the records of a billing user (a customer or not) are of. */
  async countServers(db: Tx): Promise<number> {
    const { rows } = await sql<{ n: bigint }>`
      SELECT count(DISTINCT server_id) AS n FROM ${this.table} WHERE billing_user_id IS NOT NULL`.execute(db);
    return Number(rows[0]!.n);
  }

  /**
   * Billing user ids that are no customer, `limit` at a time after `after` (keyset), with their servers and
   * reported tokens (runtime + IPs + backups).
   */
  async unknownUsers(
    db: Tx,
    after: bigint,
    limit: number,
  ): Promise<{ billing_user_id: bigint; servers: bigint[]; tokens: string }[]> {
    const { rows } = await sql<{ billing_user_id: bigint; servers: bigint[]; tokens: string }>`
      SELECT billing_user_id, array_agg(server_id ORDER BY seq) AS servers,
        sum(tokens + ip_tokens + backup_tokens)::text AS tokens
      FROM ${this.table}
      WHERE customer_id IS NULL AND billing_user_id > ${after.toString()}
      GROUP BY billing_user_id ORDER BY billing_user_id LIMIT ${limit}`.execute(db);
    return rows;
  }

  /**
   * The next `limit` customers after `after` (keyset on customer_id), each with all its usage in the order
   * the source gave it; empty when every customer has been read.
   */
  async readCustomers(db: Tx, after: bigint, limit: number): Promise<CustomerUsage[]> {
    const { rows } = await sql<StagedRow>`
      SELECT customer_id, server_id, server_uuid, server_name, plan_id, plan_name, created_at, deleted_at,
        hours, tokens, charge, ip_count, ip_hours, ip_tokens, ip_charge, backup_percent, backup_hours,
        backup_tokens, recomputed_tokens, recomputed_ip_tokens, recomputed_backup_tokens
      FROM ${this.table}
      WHERE customer_id > ${after.toString()} AND customer_id <= (
        SELECT max(customer_id) FROM (
          SELECT DISTINCT customer_id FROM ${this.table}
          WHERE customer_id > ${after.toString()} ORDER BY customer_id LIMIT ${limit}
        ) AS batch
      )
      ORDER BY customer_id, seq`.execute(db);
    const customers: CustomerUsage[] = [];
    for (const row of rows) {
      const last = customers.at(-1);
      if (last?.customerId === row.customer_id) last.usage.push(usageOf(row));
      else customers.push({ customerId: row.customer_id, usage: [usageOf(row)] });
    }
    return customers;
  }

  /** The table the cross-check stages its other source in (cross-check-usage.ts). */
  get checkName(): string {
    return `${CHECK_PREFIX}${this.name.slice(STAGE_PREFIX.length)}`;
  }

  async drop(db: Tx): Promise<void> {
    await sql`DROP TABLE IF EXISTS ${this.table}`.execute(db);
  }
}

/**
 * Drops the stages that no live run owns (the cross-check's tables too): those of runs that completed or
 * failed, and a killed run's once a later start has marked it abandoned. A live run's stage is left alone.
 */
/** A LIKE pattern for the names that start with `prefix` (its underscores taken literally). */
const startingWith = (prefix: string) => `${prefix.replace(/_/g, "\\_")}%`;

const dropTable = (db: Tx, name: string) => sql`DROP TABLE IF EXISTS ${sql.table(name)}`.execute(db);

export async function dropStaleStages(db: Tx): Promise<void> {
  for (const prefix of [STAGE_PREFIX, CHECK_PREFIX]) {
    const { rows } = await sql<{ name: string }>`
      SELECT t.tablename AS name FROM pg_tables t
      WHERE t.schemaname = current_schema() AND t.tablename LIKE ${startingWith(prefix)}
        AND NOT EXISTS (
          SELECT 1 FROM billing_run r
          WHERE r.state = 'running' AND r.id = 'run_' || substr(t.tablename, ${prefix.length + 1})
        )`.execute(db);
    for (const { name } of rows) await dropTable(db, name);
  }
}

/**
 * Drops the estimates' stages made before `before`: an estimate takes minutes at most and drops its own, so
 * these are those of a process that died while it estimated.
 */
export async function dropStaleEstimates(db: Tx, before: Date): Promise<void> {
  const { rows } = await sql<{ name: string }>`
    SELECT tablename AS name FROM pg_tables
    WHERE schemaname = current_schema() AND tablename LIKE ${startingWith(ESTIMATE_PREFIX)}`.execute(db);
  for (const { name } of rows) {
    // `usage_estimate_<unix seconds>_<hex>` (UsageStage.forEstimate)
    const madeAt = Number(name.slice(ESTIMATE_PREFIX.length).split("_")[0]) * 1000;
    if (madeAt < before.getTime()) await dropTable(db, name);
  }
}
