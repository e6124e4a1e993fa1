import { type Kysely, sql } from "kysely";
import type { Database } from "../../src/db/schema.ts";
import { waitUntil } from "./wait-until.ts";

/**
 * How many backends wait for a lock `holderPid` holds: directly, or queued behind one that waits for it
 * (PostgreSQL queues a row's second waiter behind its first, so pg_blocking_pids names only the first).
 * PostgreSQL only: PGlite has no other backend to wait.
 */
export async function lockWaitersOf(db: Kysely<Database>, holderPid: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pg_stat_activity a
    WHERE ${holderPid}::int = ANY (pg_blocking_pids(a.pid))
       OR EXISTS (SELECT 1 FROM pg_stat_activity b
                  WHERE ${holderPid}::int = ANY (pg_blocking_pids(b.pid)) AND b.pid = ANY (pg_blocking_pids(a.pid)))`.execute(
    db,
  );
  return rows[0]!.n;
}

/**
 * Waits until exactly `count` backends wait for `holderPid`'s locks, as PostgreSQL itself reports it (a wait
 * seen, not guessed from a sleep), within waitUntil's ceiling; the error names `what` was awaited. Given the
 * work expected to wait, fails at once if that work ends instead: without the lock it would not wait at all.
 */
export async function untilLockWaiters(
  db: Kysely<Database>,
  holderPid: number,
  count: number,
  what: string,
  waiter?: Promise<unknown>,
): Promise<void> {
  let ended = false;
  waiter?.then(
    () => (ended = true),
    () => (ended = true),
  );
  await waitUntil(what, async () => {
    if (ended) throw new Error(`${what}: it ended without waiting`);
    return (await lockWaitersOf(db, holderPid)) === count;
  });
}

/** The backend of the session `db` runs on (a transaction's, to be named as a lock holder). */
export async function backendPid(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db);
  return rows[0]!.pid;
}
