import { sql } from "kysely";
import type { Tx } from "../../kernel/context.ts";

// Reading the pricing change log (migration 007) without ever skipping a change.
//
// Why not "where id > last id seen": a bigserial id is taken when the row is inserted, not when its
// transaction commits. On PostgreSQL, transaction A may take id 10, B id 11, B commit, a reader see 11 and
// move its mark past 10, then A commit: change 10 would be lost. Re-reading a window behind the mark only
// narrows that race (a transaction may stay open for any length of time).
//
// Instead a reader remembers the database snapshot its last read ran in (`pg_current_snapshot()`, taken in
// the same statement as the read) and next asks for the rows whose transaction that snapshot did not see:
// `not pg_visible_in_snapshot(xid, last)`. A transaction in progress at the last read is in that snapshot's
// in-progress list, so its rows are returned once it has committed, whatever their ids; a committed row is
// returned once and never again. `xid >= pg_snapshot_xmin(last)` lets the index skip the old rows.
//
// Pruning must not remove a row some reader has not seen. A prune deletes only rows older (by transaction)
// than `pending_below`, the oldest running transaction recorded at the previous prune, at least
// `retentionMs` earlier; it then records `below`. Any reader that read since that recording has an xmin at
// or above it (snapshot xmins only grow), so it lost nothing. A reader whose last snapshot's xmin is below
// `below` may have lost rows: it is told it is `behind` and reloads everything. PGlite is a single
// PostgreSQL backend, so the same functions work there.

/** Where a reader stands in the log: the text of the snapshot its last read ran in. */
export type LogPosition = string;

export interface PricingChanges {
  position: LogPosition;
  /** Rows this reader has not seen may have been pruned: only a full reload is safe. */
  behind: boolean;
  /** More than `max` changes: a full reload is cheaper than applying them one by one. */
  tooMany: boolean;
  /** A table pricing reads (or the log itself) was emptied by TRUNCATE (migration 028): only a full reload is safe. */
  everything: boolean;
  customers: Set<bigint>;
  groups: Set<bigint>;
  /** A currency or a tax rule/rate changed: anyone's price may have. */
  shared: boolean;
}

/** The position to read from after loading everything: taken before the load, so nothing falls between. */
export async function currentPosition(db: Tx): Promise<LogPosition> {
  const { rows } = await sql<{ position: string }>`select pg_current_snapshot()::text as position`.execute(
    db,
  );
  return rows[0]!.position;
}

/** The changes committed since `since` (that snapshot did not see), and the position after them. */
export async function readPricingChanges(db: Tx, since: LogPosition, max: number): Promise<PricingChanges> {
  // One statement: the snapshot, the prune horizon and the changes are read in one and the same snapshot.
  const { rows } = await sql<{
    position: string;
    behind: boolean;
    customer_id: bigint | null;
    client_group_id: bigint | null;
    found: boolean;
    everything: boolean | null;
  }>`
    select s.position, p.below > pg_snapshot_xmin(${since}::pg_snapshot) as behind,
           c.customer_id, c.client_group_id, c.found is not null as found, c.everything
    from (select pg_current_snapshot()::text as position) s
    cross join pricing_change_prune p
    left join lateral (
      select customer_id, client_group_id, everything, true as found from pricing_change
      where xid >= pg_snapshot_xmin(${since}::pg_snapshot)
        and not pg_visible_in_snapshot(xid, ${since}::pg_snapshot)
      -- The order makes the planner walk the xid index: PGlite never analyzes the table, and without
      -- statistics a range condition alone is planned as a scan of every row kept.
      order by xid
      limit ${max + 1}
    ) c on true`.execute(db);
  const first = rows[0]!;
  const found = rows.filter((r) => r.found);
  const changes: PricingChanges = {
    position: first.position,
    behind: first.behind,
    tooMany: found.length > max,
    everything: false,
    customers: new Set(),
    groups: new Set(),
    shared: false,
  };
  for (const r of found) {
    if (r.everything) changes.everything = true;
    else if (r.customer_id !== null) changes.customers.add(r.customer_id);
    else if (r.client_group_id !== null) changes.groups.add(r.client_group_id);
    else changes.shared = true;
  }
  return changes;
}

/**
 * Deletes the rows every reader that read in the last `retentionMs` has seen, at most once per
 * `retentionMs` whichever instance asks (the others find the horizon recent and do nothing).
 * Returns the number of rows deleted.
 */
export async function prunePricingChanges(db: Tx, retentionMs: number): Promise<bigint> {
  const deleted = await sql`
    with due as (
      update pricing_change_prune
      set below = pending_below, pending_below = pg_snapshot_xmin(pg_current_snapshot()), pending_at = now()
      where pending_at <= now() - make_interval(secs => ${retentionMs / 1000})
      returning below
    )
    delete from pricing_change where xid < (select below from due)`.execute(db);
  const count = deleted.numAffectedRows ?? 0n;
  // PGlite has no autovacuum: without this, deleted rows would leave the table's file growing for ever.
  if (count > 0n) await sql`vacuum pricing_change`.execute(db);
  return count;
}
