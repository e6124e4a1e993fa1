import { sql } from "kysely";
import type { UsagePeriod, UsageRecord, UsageSource } from "../../domain/usage-record.ts";
import type { Tx } from "../../kernel/context.ts";
import type { Anomaly } from "./anomaly.ts";
import type { UsageStage } from "./usage-stage.ts";

// Both sides of the comparison stay in the database: the billed usage is the run's stage, the other source
// is staged beside it (one row per server), and the comparison is read a page at a time.

const PAGE = 2000;

interface ServerTotal {
  billingUserId: bigint | null;
  name: string;
  tokens: bigint;
}

/** A server's tokens over all its plans: runtime + IPs + backups. */
const tokensOf = (r: UsageRecord) => r.tokens + r.additionalIps.tokens + (r.backups?.tokens ?? 0n);

export interface CrossCheckInput {
  stage: UsageStage;
  other: UsageSource;
  period: UsagePeriod;
  report: (anomalies: Anomaly[]) => Promise<void>;
}

/**
 * Any two usage sources side by side (solusio-api.md §9): every server whose tokens differ between the billed
 * usage (as staged, duplicates dropped) and the other source, or that only one of them knows, is reported.
 * Nothing billed changes.
 */
export async function crossCheckUsage(db: Tx, input: CrossCheckInput): Promise<void> {
  const table = sql.table(input.stage.checkName);
  await sql`
    CREATE UNLOGGED TABLE ${table} (
      server_id bigint PRIMARY KEY, billing_user_id bigint, name text NOT NULL, tokens bigint NOT NULL
    )`.execute(db);
  try {
    let page = new Map<number, ServerTotal>();
    const flush = async () => {
      if (page.size === 0) return;
      const rows = [...page];
      page = new Map();
      await sql`
        INSERT INTO ${table} (server_id, billing_user_id, name, tokens)
        SELECT * FROM unnest(${rows.map(([id]) => id)}::bigint[],
          ${rows.map(([, s]) => s.billingUserId?.toString() ?? null)}::bigint[],
          ${rows.map(([, s]) => s.name)}::text[], ${rows.map(([, s]) => s.tokens.toString())}::bigint[])
        ON CONFLICT (server_id) DO UPDATE SET tokens = ${table}.tokens + excluded.tokens`.execute(db);
    };
    for await (const r of input.other.fetchUsage(input.period)) {
      const seen = page.get(r.server.id);
      if (seen) seen.tokens += tokensOf(r);
      else
        page.set(r.server.id, { billingUserId: r.billingUserId, name: r.server.name, tokens: tokensOf(r) });
      if (page.size >= PAGE) await flush();
    }
    await flush();
    await compare(db, table, input);
  } finally {
    await sql`DROP TABLE IF EXISTS ${table}`.execute(db);
  }
}

async function compare(db: Tx, table: ReturnType<typeof sql.table>, input: CrossCheckInput): Promise<void> {
  const stage = sql.table(input.stage.name);
  const name = input.other.name;
  for (let after = -1n; ; ) {
    const { rows } = await sql<{
      server_id: bigint;
      billed_user: bigint | null;
      billed_name: string | null;
      billed: string | null;
      other_user: bigint | null;
      other_name: string | null;
      other: string | null;
    }>`
      WITH billed AS (
        SELECT server_id, (array_agg(billing_user_id ORDER BY seq))[1] AS billing_user_id,
          (array_agg(server_name ORDER BY seq))[1] AS name, sum(tokens + ip_tokens + backup_tokens) AS tokens
        FROM ${stage} WHERE server_id > ${after.toString()} GROUP BY server_id
      )
      SELECT coalesce(b.server_id, o.server_id) AS server_id, b.billing_user_id AS billed_user,
        b.name AS billed_name, b.tokens::text AS billed, o.billing_user_id AS other_user, o.name AS other_name,
        o.tokens::text AS other
      FROM billed b FULL JOIN (SELECT * FROM ${table} WHERE server_id > ${after.toString()}) o
        ON o.server_id = b.server_id
      WHERE b.tokens IS DISTINCT FROM o.tokens
      ORDER BY 1 LIMIT ${PAGE}`.execute(db);
    if (rows.length === 0) return;
    await input.report(
      rows.map((r): Anomaly => {
        const id = Number(r.server_id);
        if (r.other === null) {
          return {
            kind: "cross_check_missing",
            message: `server ${id} (${r.billed_name}) is in the billed usage but not in ${name}`,
            billingUserId: r.billed_user,
            serverId: id,
            details: { billed_tokens: BigInt(r.billed!), missing_from: name },
          };
        }
        if (r.billed === null) {
          return {
            kind: "cross_check_missing",
            message: `server ${id} (${r.other_name}) is in ${name} (${r.other} tokens) but not in the billed usage`,
            billingUserId: r.other_user,
            serverId: id,
            details: { other_tokens: BigInt(r.other), missing_from: "billed usage" },
          };
        }
        return {
          kind: "cross_check_mismatch",
          message: `server ${id} (${r.billed_name}): ${r.billed} tokens billed, ${r.other} by ${name}`,
          billingUserId: r.billed_user,
          serverId: id,
          details: { billed_tokens: BigInt(r.billed), [`${name}_tokens`]: BigInt(r.other) },
        };
      }),
    );
    if (rows.length < PAGE) return;
    after = rows.at(-1)!.server_id;
  }
}
