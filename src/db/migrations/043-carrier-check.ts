import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// When a reconciliation last read every SolusIO user and recorded its carrier findings (migration 040), and
// how many users it read: one row. The console's SolusIO page shows the stored findings instead of reading
// every user on each view, and says how fresh they are, none found included.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `CREATE TABLE solusio_carrier_check (
       id boolean PRIMARY KEY DEFAULT true CHECK (id),
       checked_at timestamptz NOT NULL,
       solusio_users integer NOT NULL CHECK (solusio_users >= 0)
     );`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `DROP TABLE IF EXISTS solusio_carrier_check;`);
}
