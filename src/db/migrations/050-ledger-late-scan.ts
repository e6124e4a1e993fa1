import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// How far housekeeping's pass over the ledger has found the statement's late balance rows
// (src/billing/payments/ledger-late-rows.ts): one row. Below `scanned_to` every late row is in
// ledger_late_entry; `seen_to` is the newest ledger id seen at `seen_at`, which becomes `scanned_to` once a pass
// has run long enough after `seen_at` that every transaction which had drawn an id up to it has ended. It
// starts at 0, so the first pass reads the whole ledger once more: migration 049 read it while an instance of
// the previous version could still be writing interleaved rows, for up to 30 s after (SCHEMA_CHECK_MS).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `CREATE TABLE ledger_late_scan (
       id boolean PRIMARY KEY DEFAULT true CHECK (id),
       scanned_to bigint NOT NULL CHECK (scanned_to >= 0),
       seen_to bigint NOT NULL CHECK (seen_to >= scanned_to),
       seen_at timestamptz NOT NULL
     );
     INSERT INTO ledger_late_scan (scanned_to, seen_to, seen_at)
       SELECT 0, coalesce(max(id), 0), now() FROM ledger_entry;`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP TABLE IF EXISTS ledger_late_scan;");
}
