import { type RawBuilder, sql } from "kysely";
import type { Db, ServiceContext } from "../../kernel/context.ts";

// The statement page adds ledger_late_entry's rows to the balance brought forward (statement-page.ts), so the
// table must hold every balance row that lies above the first row of a later event of its customer. Migration
// 049 found those of the whole ledger once; an instance of the previous version still running for up to 30 s
// after it (SCHEMA_CHECK_MS), or any future path that writes an event's rows while another's are being written,
// adds more. Housekeeping runs this pass on its clock: the rows above a watermark (ledger_late_scan), the same
// rule as 049's, so the table stays complete; the doctor asks the same question without writing.

/**
 * Longer than a transaction that writes ledger rows lasts (they hold no outside call; a finalization batch
 * takes seconds). A ledger id is drawn when its row is inserted but seen only at commit, so ids commit out of
 * order: the watermark moves to the newest id seen at one pass only once a later pass, begun this long after,
 * has read above the old watermark again, and no transaction of the database that began before that id was
 * seen is still open (transactionsHolding): every id drawn up to it is then committed or rolled back. The bound
 * alone was the rule until 2026-12-07, and a transaction open longer had its rows left below the watermark.
 */
export const LEDGER_TRANSACTION_BOUND_MS = 15 * 60_000;

/**
 * The late rows among the first `limit` balance rows above ledger id `after`: a row is late when another event
 * of its customer and currency begins (its first row) between its own event's first row and the row. That is
 * 049's rule ("the customer's next event starts below it") asked of each row: its event's first row from the
 * event index, and the rows between from the customer index, only the event's own rows when none is late.
 * Scalar subqueries, not EXISTS: PostgreSQL plans a semi-join of thousands of rows as a hash of the whole
 * ledger (test/db-indexes.db.test.ts).
 */
const lateRowsAbove = (after: bigint, limit: number) => sql`
  fresh AS (
    SELECT id, event_id, customer_id, currency_code, amount FROM ledger_entry
     WHERE id > ${after} AND account IN ('receivable', 'credit')
     ORDER BY id LIMIT ${limit}),
  own AS (
    SELECT f.*, (SELECT min(o.id) FROM ledger_entry o WHERE o.event_id = f.event_id) AS event_first FROM fresh f),
  late AS (
    SELECT own.id, own.customer_id, own.currency_code, own.event_first, own.amount FROM own
     WHERE (SELECT 1 FROM ledger_entry r
             WHERE r.customer_id = own.customer_id AND r.id > own.event_first AND r.id < own.id
               AND r.currency_code = own.currency_code AND r.event_id <> own.event_id
               AND (SELECT min(q.id) FROM ledger_entry q WHERE q.event_id = r.event_id) > own.event_first
             LIMIT 1) IS NOT NULL)`;

/**
 * The database's other transactions that have written something and began at or before `seenAt`: any of them
 * may hold a ledger id up to the watermark's `seen_to`, drawn but not yet committed. One whose start this role
 * may not read (another role's, without pg_read_all_stats) counts too. PGlite's one session has no other.
 */
const transactionsHolding = (seenAt: RawBuilder<unknown>) => sql`
  SELECT pid, xact_start FROM pg_stat_activity
   WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL
     AND (xact_start IS NULL OR xact_start <= ${seenAt})`;

interface Watermark {
  scanned_to: bigint;
  seen_to: bigint;
  /** Has LEDGER_TRANSACTION_BOUND_MS passed since `seen_to` was seen (as of this read)? */
  due: boolean;
  /** The newest ledger id now. */
  newest: string;
}

async function readWatermark(db: Db, boundMs: number): Promise<Watermark> {
  return (
    await sql<Watermark>`
      SELECT scanned_to, seen_to, now() >= seen_at + make_interval(secs => ${boundMs / 1000}) AS due,
             (SELECT coalesce(max(id), 0) FROM ledger_entry)::text AS newest
        FROM ledger_late_scan`.execute(db)
  ).rows[0]!;
}

export interface LatePass {
  /** Balance rows read above the watermark. */
  read: number;
  /** Late rows added to ledger_late_entry (0 when another pass or 049 had them). */
  added: number;
  scannedTo: bigint;
}

/**
 * One pass: adds the late rows above the watermark, `batchSize` balance rows a statement, then moves the
 * watermark if it is due. Idempotent (ON CONFLICT); instances passing at once read the same rows and only one
 * moves the watermark (compared and set), so none waits on another.
 */
export async function recordLateLedgerRows(
  ctx: Pick<ServiceContext, "db" | "logger">,
  options: { batchSize?: number; boundMs?: number } = {},
): Promise<LatePass> {
  const batchSize = options.batchSize ?? 5000;
  const boundMs = options.boundMs ?? LEDGER_TRANSACTION_BOUND_MS;
  const mark = await readWatermark(ctx.db, boundMs);
  let after = BigInt(mark.scanned_to);
  let read = 0;
  let added = 0;
  for (;;) {
    // No ORDER BY on the INSERT: its order decides nothing. The batch goes on from max(id) of `fresh` (whose
    // ORDER BY … LIMIT picks the rows), not from the last row inserted; the watermark moves by compare-and-set
    // below, apart from these rows; ON CONFLICT makes the set the same in any order. Passes at once wait on
    // each other's uncommitted keys, in the order they insert them: both insert in id order, as the plan
    // filters `fresh` as it comes (a CTE scan, no sort or hash above it; EXPLAIN on PostgreSQL 2026-12-07), so
    // one waits for the other and skips its rows. A plan that someday reordered them could deadlock two passes:
    // one statement fails before its pass moves the watermark, and housekeeping's next pass does its rows.
    const { rows } = await sql<{ read: number; last: string | null; added: number }>`
      WITH ${lateRowsAbove(after, batchSize)},
      added AS (
        INSERT INTO ledger_late_entry (entry_id, customer_id, currency_code, event_first, amount)
        SELECT id, customer_id, currency_code, event_first, amount FROM late
        ON CONFLICT (entry_id) DO NOTHING RETURNING entry_id)
      SELECT (SELECT count(*) FROM fresh)::int AS read, (SELECT max(id) FROM fresh)::text AS last,
             (SELECT count(*) FROM added)::int AS added`.execute(ctx.db);
    const batch = rows[0]!;
    read += batch.read;
    added += batch.added;
    if (batch.read < batchSize || batch.last === null) break;
    after = BigInt(batch.last);
  }
  let scannedTo = BigInt(mark.scanned_to);
  if (mark.due) {
    // now() here is later than `newest` was read: the next move waits at least the bound after it.
    const moved = await sql`
      UPDATE ledger_late_scan SET scanned_to = seen_to, seen_to = greatest(seen_to, ${mark.newest}::bigint),
             seen_at = now()
       WHERE scanned_to = ${mark.scanned_to} AND seen_to = ${mark.seen_to}
         AND NOT EXISTS (${transactionsHolding(sql`ledger_late_scan.seen_at`)})`.execute(ctx.db);
    if ((moved.numAffectedRows ?? 0n) > 0n) scannedTo = BigInt(mark.seen_to);
    else await warnOfLongTransaction(ctx, boundMs);
  }
  if (added > 0)
    ctx.logger.warn(
      { added, read },
      "ledger rows written interleaved with another event of their customer were added to ledger_late_entry " +
        "(an instance of a version before 2026-12-07 still running writes them)",
    );
  return { read, added, scannedTo };
}

/**
 * A watermark not moved, by another pass's move or by a transaction it waits for: said when that transaction has
 * been open longer than the bound, which no ledger writer should be (an idle session left in a transaction, a
 * stuck job): the pass stays safe, but the rows it covers are read again at every pass until it ends.
 */
async function warnOfLongTransaction(ctx: Pick<ServiceContext, "db" | "logger">, boundMs: number) {
  const { rows } = await sql<{ pid: number; xact_start: Date }>`
    WITH holding AS (${transactionsHolding(sql`(SELECT seen_at FROM ledger_late_scan)`)})
    SELECT pid, xact_start FROM holding
     WHERE xact_start < now() - make_interval(secs => ${boundMs / 1000})
     ORDER BY xact_start LIMIT 1`.execute(ctx.db);
  const oldest = rows[0];
  if (oldest)
    ctx.logger.warn(
      { pid: oldest.pid, since: oldest.xact_start, boundMs },
      "housekeeping's late-rows watermark waits for an open transaction older than its bound to end " +
        "(pg_stat_activity names it by pid): the ledger rows above it are read again at every pass until then",
    );
}

export interface MissingLateRows {
  /** Balance rows read above the watermark (at most `limit` + 1: more means not all were looked at). */
  read: number;
  missing: number;
  /** The customers whose rows are missing: how many, and the first `named` of them by id. */
  customerCount: number;
  customers: string[];
}

/** Late rows above the watermark not yet in ledger_late_entry, among the first `limit` + 1 balance rows. */
export async function missingLateLedgerRows(db: Db, limit: number, named: number): Promise<MissingLateRows> {
  const { scanned_to } = await db
    .selectFrom("ledger_late_scan")
    .select("scanned_to")
    .executeTakeFirstOrThrow();
  const { rows } = await sql<MissingLateRows>`
    WITH ${lateRowsAbove(BigInt(scanned_to), limit + 1)}
    SELECT (SELECT count(*) FROM fresh)::int AS read, count(*)::int AS missing,
           count(DISTINCT late.customer_id)::int AS "customerCount",
           coalesce((array_agg(DISTINCT late.customer_id ORDER BY late.customer_id))[1:${named}]::text[], '{}')
             AS customers
      FROM late WHERE (SELECT 1 FROM ledger_late_entry l WHERE l.entry_id = late.id) IS NULL`.execute(db);
  return rows[0]!;
}
