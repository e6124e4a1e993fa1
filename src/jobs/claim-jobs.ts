import { type Kysely, sql } from "kysely";
import type { Database } from "../db/schema.ts";
import type { ClaimedJob } from "./job-handler.ts";
import { notifyJobWritten } from "./job-wakeups.ts";

export interface Claimant {
  workerId: string;
  /** How long the claim lasts unless renewed (lock-keeper.ts). */
  lockSeconds: number;
}

/**
 * Claims up to `limit` jobs of `kinds` for `by`, oldest first: pending ones that are due, and running ones
 * whose claim ran out (their runner died). FOR UPDATE SKIP LOCKED lets runners claim side by side without
 * taking a job twice; a job is claimable only while no earlier open job has its ordering key.
 *
 * `done` are jobs of `by` that have just succeeded: the same statement marks them done, so a busy runner
 * closes what it finished and takes what is next in one round trip. The claim's snapshot still sees them
 * running, so they are left out of the ordering check: a customer's next job is claimable at once.
 *
 * The picked ids go to the UPDATE as one array (`= ANY (ARRAY(…))`), so it finds them by primary key; as
 * `IN (subquery)`, statistics that show many open jobs made it a hash join over a scan of the whole table.
 * Walking the open jobs in id order and stopping at `limit` needs statistics too (refreshJobStatistics).
 */
export async function claimJobs(
  db: Kysely<Database>,
  by: Claimant,
  kinds: readonly string[],
  limit: number,
  done: readonly bigint[] = [],
): Promise<ClaimedJob[]> {
  if (kinds.length === 0 && done.length === 0) return [];
  if (kinds.length === 0 || limit <= 0) {
    await markDone(db, by, done);
    return [];
  }
  // Only jobs still ours are closed (a claim that ran out and was taken over is not), and only those are
  // left out of the ordering check; none of them is claimed again by the same statement.
  const closing =
    done.length === 0
      ? sql``
      : sql`WITH closed AS (
          UPDATE job SET status = 'done', locked_until = NULL, last_error = NULL, updated_at = now()
           WHERE id IN (${sql.join(done)}) AND locked_by = ${by.workerId} AND status = 'running'
          RETURNING id)
        `;
  const notJustDone = done.length === 0 ? sql`` : sql`AND j.id NOT IN (${sql.join(done)})`;
  const finishedNow = done.length === 0 ? sql`` : sql`AND e.id NOT IN (SELECT id FROM closed)`;
  const result = await sql<{
    id: bigint;
    kind: string;
    ordering_key: string | null;
    payload: unknown;
    attempts: number;
  }>`
    ${closing}UPDATE job
       SET status = 'running', attempts = attempts + 1, locked_by = ${by.workerId},
           locked_until = now() + make_interval(secs => ${by.lockSeconds}), updated_at = now()
     WHERE id = ANY (ARRAY(
       SELECT j.id FROM job j
        WHERE j.kind IN (${sql.join(kinds)}) ${notJustDone}
          AND ((j.status = 'pending' AND j.run_after <= now())
               OR (j.status = 'running' AND j.locked_until < now()))
          AND (j.ordering_key IS NULL OR NOT EXISTS (
                SELECT 1 FROM job e
                 WHERE e.ordering_key = j.ordering_key AND e.id < j.id AND e.status IN ('pending', 'running')
                   ${finishedNow}))
        ORDER BY j.id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED))
    RETURNING id, kind, ordering_key, payload, attempts`.execute(db);
  return result.rows
    .map((r) => ({
      id: r.id,
      kind: r.kind,
      orderingKey: r.ordering_key,
      payload: r.payload,
      attempts: r.attempts,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * Marks jobs of `by` done: only while still running under its claim (one that ran out and was taken over, or
 * was given back, is no longer `by`'s to close).
 */
export async function markDone(db: Kysely<Database>, by: Claimant, ids: readonly bigint[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable("job")
    .set({ status: "done", locked_until: null, last_error: null, updated_at: new Date() })
    .where("id", "in", ids)
    .where("locked_by", "=", by.workerId)
    .where("status", "=", "running")
    .execute();
}

/**
 * Gives back jobs of `by` in one statement: claimed ahead and never started, or cut short by a stop whose
 * grace ended while their handler ran (job-runner.ts, stop). Each is pending and due at once, free for any
 * runner (woken by NOTIFY). A job never started has its claim's attempt taken back. A cut job keeps it, as
 * after a killed instance's claim runs out: its handler may have done part of its work (sent SolusIO its
 * `POST users`), and handlers read the attempt to know whether to look first (sync-customer.ts creates
 * without looking only on attempt 1, which a given-back attempt would repeat: a second SolusIO user when the
 * e-mail changed meanwhile). Only jobs still running under `by`'s claim change: one finished, failed or taken
 * over since is left as it is. Returns the ids it gave back.
 */
export async function releaseClaims(
  db: Kysely<Database>,
  by: Claimant,
  jobs: { unstarted: readonly bigint[]; cut?: readonly bigint[] },
): Promise<bigint[]> {
  const unstarted = jobs.unstarted;
  const ids = [...unstarted, ...(jobs.cut ?? [])];
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable("job")
    .set((eb) => ({
      status: "pending",
      // Every claim counted one, so this stays at 0 or more; GREATEST all the same, as the CHECK on attempts
      // would fail the whole statement, and with it the give-back of every other job.
      attempts:
        unstarted.length === 0
          ? eb.ref("attempts")
          : eb
              .case()
              .when("id", "in", unstarted)
              .then(sql<number>`greatest(attempts - 1, 0)`)
              .else(eb.ref("attempts"))
              .end(),
      locked_by: null,
      locked_until: null,
      run_after: sql<Date>`now()`,
      updated_at: new Date(),
    }))
    .where("id", "in", ids)
    .where("locked_by", "=", by.workerId)
    .where("status", "=", "running")
    // The runners of other instances hear of them at once, not at their next poll (job-wakeups.ts).
    .returning(["id", notifyJobWritten.as("notified")])
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Writes the job of `slot` already claimed by `by` (running, first attempt), or nothing when a job holds
 * that slot: the unique slot is what makes a schedule's firing claim its work once across instances.
 */
export async function claimSlot(
  db: Kysely<Database>,
  by: Claimant,
  job: { kind: string; slot: string; payload: unknown },
): Promise<ClaimedJob | undefined> {
  const row = await db
    .insertInto("job")
    .values({
      kind: job.kind,
      slot: job.slot,
      payload: JSON.stringify(job.payload),
      status: "running",
      attempts: 1,
      locked_by: by.workerId,
      locked_until: sql<Date>`now() + make_interval(secs => ${by.lockSeconds})`,
    })
    .onConflict((oc) => oc.column("slot").doNothing())
    .returning(["id", "payload"])
    .executeTakeFirst();
  return row && { id: row.id, kind: job.kind, orderingKey: null, payload: row.payload, attempts: 1 };
}

/**
 * Brings the planner's picture of the job table up to date. Without statistics (PGlite never analyzes; a
 * PostgreSQL table new or grown since autovacuum last looked), the planner takes a backlog of open jobs for a
 * handful, and plans the claim as "every open job, each checked against its key, then sorted": a claim then
 * costs in proportion to the backlog (30 ms at 700 open jobs in PGlite) instead of to `limit`. The runner
 * calls this while it works through a backlog (job-statistics.ts).
 */
export async function refreshJobStatistics(db: Kysely<Database>): Promise<void> {
  await sql`analyze job`.execute(db);
}
