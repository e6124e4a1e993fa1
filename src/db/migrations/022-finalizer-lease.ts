import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// Which run finalizes a period (src/billing/runs/finalizer-lease.ts). Before, a run held a PostgreSQL session
// advisory lock on one connection of its pool while it finalized. A pooler in transaction mode hands a
// connection's statements to whichever server connection is free, so that lock could be taken on one server
// connection and released on another, and then stay held there for good. A row is seen the same way through
// any connection, on PGlite too. The run renews it in every finalization batch, so a run that died leaves a
// lease that lapses; one row a period, deleted when its run is done.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `CREATE TABLE finalizer_lease (
       period text PRIMARY KEY,
       run_id text NOT NULL REFERENCES billing_run (id) ON DELETE CASCADE,
       renewed_at timestamptz NOT NULL
     );`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP TABLE IF EXISTS finalizer_lease;");
}
