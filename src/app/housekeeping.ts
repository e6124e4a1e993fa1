import { sql } from "kysely";
import type { Config } from "../config.ts";
import { recordLateLedgerRows } from "../billing/payments/ledger-late-rows.ts";
import { vacuumTables } from "../db/vacuum-tables.ts";
import type { Db, ServiceContext } from "../kernel/context.ts";
import { type Clock, startClock } from "../jobs/schedule-clock.ts";

// Housekeeping (docs/metrics.md): rows that only grow are trimmed on a clock, each table past its own
// retention. Each batch is one autocommit DELETE of at most `batchSize` rows, so a backlog of millions is
// never one giant transaction holding locks and WAL; the batch picks its rows with FOR UPDATE SKIP LOCKED,
// so instances trimming at the same time take disjoint rows and never wait on each other.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface TrimCounts {
  jobs: number;
  solusioCalls: number;
  webSessions: number;
  idempotencyKeys: number;
  serverPolls: number;
}

type Trim = (db: Db, cutoff: Date, limit: number) => Promise<number>;

/**
 * Done jobs. Failed jobs stay (someone has to look at them); so do scheduled billing runs (`billing:…`
 * slots): one a month, and while its period is the one due a trimmed slot could be claimed again.
 */
const trimJobs: Trim = async (db, cutoff, limit) =>
  Number(
    (
      await sql`DELETE FROM job WHERE id IN (
        SELECT id FROM job
        WHERE status = 'done' AND updated_at < ${cutoff} AND (slot IS NULL OR slot NOT LIKE 'billing:%')
        ORDER BY updated_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`.execute(db)
    ).numAffectedRows ?? 0n,
  );

const trimSolusioCalls: Trim = async (db, cutoff, limit) =>
  Number(
    (
      await sql`DELETE FROM solusio_call WHERE id IN (
        SELECT id FROM solusio_call WHERE at < ${cutoff} ORDER BY at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`.execute(
        db,
      )
    ).numAffectedRows ?? 0n,
  );

/** expires_at is the absolute end: a revoked or idle session is past it within its lifetime anyway. */
const trimWebSessions: Trim = async (db, cutoff, limit) =>
  Number(
    (
      await sql`DELETE FROM web_session WHERE id_hash IN (
        SELECT id_hash FROM web_session WHERE expires_at < ${cutoff}
        ORDER BY expires_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`.execute(db)
    ).numAffectedRows ?? 0n,
  );

/**
 * Idempotency-Key answers, by when the key was first used (as Stripe counts its 24 hours); a key still in
 * flight that old belongs to a reservation `payments refund-release` has to settle, and goes too.
 */
const trimIdempotencyKeys: Trim = async (db, cutoff, limit) =>
  Number(
    (
      await sql`DELETE FROM idempotency_key WHERE (scope, key) IN (
        SELECT scope, key FROM idempotency_key WHERE created_at < ${cutoff}
        ORDER BY created_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`.execute(db)
    ).numAffectedRows ?? 0n,
  );

/**
 * Records of server polls (one a poll, usage source b). The usage source reads the newest one (a period
 * billed before it is noted as stale), so that one stays however old; so do the polls of periods no billing
 * run has completed yet (after the newest completed run's period end), which a run of them may still need.
 * With no completed run nothing is billed yet, and nothing is trimmed.
 */
const trimServerPolls: Trim = async (db, cutoff, limit) =>
  Number(
    (
      await sql`DELETE FROM server_poll WHERE id IN (
        SELECT id FROM server_poll
        WHERE started_at < ${cutoff}
          AND started_at < (SELECT max(period_end) FROM billing_run WHERE state = 'completed')
          AND started_at < (SELECT max(started_at) FROM server_poll)
        ORDER BY started_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`.execute(db)
    ).numAffectedRows ?? 0n,
  );

/** Deletes batch after batch until one comes back short; returns how many rows went. */
async function trimAll(trim: Trim, db: Db, cutoff: Date, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await trim(db, cutoff, batchSize);
    total += deleted;
    if (deleted < batchSize) return total;
  }
}

/** One round of housekeeping as of `ctx.now()`. */
export async function trimOldRows(
  ctx: Pick<ServiceContext, "db" | "config" | "now">,
  options: { batchSize?: number } = {},
): Promise<TrimCounts> {
  const batchSize = options.batchSize ?? 1000;
  const now = ctx.now().getTime();
  const before = (days: number) => new Date(now - days * DAY);
  const { config, db } = ctx;
  return {
    jobs: await trimAll(trimJobs, db, before(config.RETENTION_JOBS_DAYS), batchSize),
    solusioCalls: await trimAll(trimSolusioCalls, db, before(config.RETENTION_CALL_LOG_DAYS), batchSize),
    webSessions: await trimAll(trimWebSessions, db, before(config.RETENTION_SESSIONS_DAYS), batchSize),
    idempotencyKeys: await trimAll(
      trimIdempotencyKeys,
      db,
      new Date(now - config.RETENTION_IDEMPOTENCY_KEYS_HOURS * HOUR),
      batchSize,
    ),
    serverPolls: await trimAll(trimServerPolls, db, before(config.RETENTION_SERVER_POLLS_DAYS), batchSize),
  };
}

export interface HousekeepingOptions {
  /**
   * Also VACUUM (ANALYZE) every table after trimming: on the embedded database, which has no autovacuum
   * (src/db/vacuum-tables.ts). PostgreSQL's own autovacuum does it there.
   */
  vacuum: boolean;
}

/** One round: the trimming, then (embedded database) the vacuum; logs what it did. */
export async function housekeepingRound(
  ctx: Pick<ServiceContext, "db" | "config" | "now" | "logger">,
  options: HousekeepingOptions,
): Promise<{ trimmed: TrimCounts; vacuumed: string[] }> {
  const trimmed = await trimOldRows(ctx);
  await recordLateLedgerRows(ctx); // keeps the statement's ledger_late_entry complete; logs what it adds
  if (Object.values(trimmed).some((n) => n > 0))
    ctx.logger.info({ trimmed, retention: retentionOf(ctx.config) }, "housekeeping trimmed old rows");
  if (!options.vacuum) return { trimmed, vacuumed: [] };
  const started = performance.now();
  const vacuumed = await vacuumTables(ctx.db);
  ctx.logger.info(
    { tables: vacuumed.length, ms: Math.round(performance.now() - started) },
    "housekeeping vacuumed and analyzed the embedded database's tables",
  );
  return { trimmed, vacuumed };
}

/**
 * Runs housekeeping every HOUSEKEEPING_INTERVAL_MS (0: never), the first round one minute after start (not
 * during it). Every instance runs its own clock: the batches make that safe, and cheap when nothing is due.
 */
export function startHousekeeping(ctx: ServiceContext, options: HousekeepingOptions): Clock | undefined {
  const interval = ctx.config.HOUSEKEEPING_INTERVAL_MS;
  if (interval === 0) return undefined;
  return startClock({
    name: "housekeeping",
    logger: ctx.logger,
    now: ctx.now,
    first: new Date(ctx.now().getTime() + Math.min(interval, 60_000)),
    next: (now) => new Date(now.getTime() + interval),
    fire: async () => {
      await housekeepingRound(ctx, options);
    },
  });
}

function retentionOf(config: Config) {
  return {
    jobs: config.RETENTION_JOBS_DAYS,
    solusioCalls: config.RETENTION_CALL_LOG_DAYS,
    webSessions: config.RETENTION_SESSIONS_DAYS,
    idempotencyKeysHours: config.RETENTION_IDEMPOTENCY_KEYS_HOURS,
    serverPolls: config.RETENTION_SERVER_POLLS_DAYS,
  };
}
