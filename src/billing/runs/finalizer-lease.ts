import { sql } from "kysely";
import type { Db, Tx } from "../../kernel/context.ts";

// One run finalizes a period at a time, so that its numbers follow customer ids (billing-rules §5; the counter
// row alone keeps them gapless and unique). The run that finalizes holds the period's row in `finalizer_lease`
// (migration 022) and renews it in every finalization batch, at the batch's turn to number: the row is then
// locked until the batch commits, which is when the next batch's turn comes anyway, so renewing adds no wait.
// A run whose lease was taken over finds that out at its next batch's turn, before that batch numbers
// anything, and stops (FinalizerLeaseLost).
//
// A row rather than an advisory lock on a connection: a pooler in transaction mode may run a connection's
// statements on any server connection, and the lock would then be taken on one and left held on another.
// The price is that a run that died holds the period until its lease lapses, where a lock went with its
// connection at once.

/** A lease not renewed for this long belongs to a run that died or hangs, and another run may take it over. */
export const FINALIZER_LEASE_LAPSES_MS = 60_000;

const lapsedBefore = sql<Date>`statement_timestamp() - make_interval(secs => ${FINALIZER_LEASE_LAPSES_MS / 1000})`;

/** Thrown at a batch's turn when another run has taken the period over: this run stops, that one finishes. */
export class FinalizerLeaseLost extends Error {
  constructor(period: string) {
    super(
      `stopped finalizing ${period}: another run took the period over after this run's lease was not renewed for ${FINALIZER_LEASE_LAPSES_MS / 1000} s; that run finalizes the rest`,
    );
    this.name = "FinalizerLeaseLost";
  }
}

/**
 * Takes the period for `runId`: true when nobody held it, when this run already did, or when the lease held
 * was not renewed for FINALIZER_LEASE_LAPSES_MS. One statement, so of runs asking at once exactly one wins.
 */
export async function takeFinalizerLease(db: Db, period: string, runId: string): Promise<boolean> {
  const taken = await db
    .insertInto("finalizer_lease")
    .values({ period, run_id: runId, renewed_at: sql`statement_timestamp()` })
    .onConflict((oc) =>
      oc
        .column("period")
        .doUpdateSet({ run_id: runId, renewed_at: sql`statement_timestamp()` })
        .where((eb) =>
          eb.or([
            eb("finalizer_lease.run_id", "=", runId),
            eb("finalizer_lease.renewed_at", "<", lapsedBefore),
          ]),
        ),
    )
    .returning("run_id")
    .executeTakeFirst();
  return taken !== undefined;
}

/** The run holding the period now, if any (for a waiting run's log line). */
export async function finalizerLeaseHolder(db: Db, period: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("finalizer_lease")
    .select("run_id")
    .where("period", "=", period)
    .executeTakeFirst();
  return row?.run_id;
}

/**
 * Renews the lease inside a finalization batch's transaction, before it numbers; the row stays locked until the
 * batch commits. Throws FinalizerLeaseLost when the period is no longer `runId`'s.
 */
export async function renewFinalizerLease(trx: Tx, period: string, runId: string): Promise<void> {
  const renewed = await trx
    .updateTable("finalizer_lease")
    .set({ renewed_at: sql`statement_timestamp()` })
    .where("period", "=", period)
    .where("run_id", "=", runId)
    .executeTakeFirst();
  if (renewed.numUpdatedRows === 0n) throw new FinalizerLeaseLost(period);
}

/** Gives the period up, if it is still `runId`'s. */
export async function releaseFinalizerLease(db: Db, period: string, runId: string): Promise<void> {
  await db.deleteFrom("finalizer_lease").where("period", "=", period).where("run_id", "=", runId).execute();
}
