import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// What the last reconciliation found of SolusIO users carrying a billing_user_id that no sync sees
// (src/services/sync/carrier-findings.ts): users sharing a customer's id, and users carrying an id no
// customer has. Kept while the finding holds, so that the console shows it and it is logged once per
// finding, not once per process; a reconciliation that no longer finds it deletes it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `CREATE TABLE solusio_carrier_finding (
       kind text NOT NULL CHECK (kind IN ('shared', 'unknown')),
       billing_user_id bigint NOT NULL,
       users jsonb NOT NULL,
       first_seen_at timestamptz NOT NULL DEFAULT now(),
       seen_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (kind, billing_user_id)
     );`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `DROP TABLE IF EXISTS solusio_carrier_finding;`);
}
