import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// The console's month-to-date estimate, shared by every instance on the database. At a million customers its
// figures take minutes of the database's time (a billing run's import of the month so far), and each instance
// computed its own once an hour. A row is one hour's figures: an instance claims the hour (claimed_by, renewed
// while it computes), writes the figures and computed_at when done; another instance's claim that has not been
// renewed for a while belongs to a process that died and may be taken over. The figures are JSON (bigints as
// decimal text): they are read whole and never queried into.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `CREATE TABLE month_to_date_estimate (
       period_end timestamptz PRIMARY KEY,
       period_start timestamptz NOT NULL,
       claimed_by text NOT NULL,
       claimed_at timestamptz NOT NULL,
       computed_at timestamptz,
       figures jsonb,
       CHECK ((computed_at IS NULL) = (figures IS NULL))
     );`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP TABLE IF EXISTS month_to_date_estimate;");
}
