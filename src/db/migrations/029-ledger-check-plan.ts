import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// The ledger's balance check (ledger_event_balanced, migrations 013, 017) finds an event's entries through
// the event index whatever the table's statistics say. PL/pgSQL keeps its query's plan per connection: one
// whose first checks ran while the statistics said the ledger was empty kept a sequential scan of the whole
// ledger for every check until the table was analyzed again (autovacuum's analyze may come too late for a
// new install's first billing run, and never comes with autovacuum off). With sequential scans off inside
// the function, every plan it makes, the kept one included, reads the index; nothing outside the function
// sees the setting. Re-planning every check (`plan_cache_mode = force_custom_plan`) or `EXECUTE` would do
// as well but cost 4–5 times the check itself (docs/performance.md, "The per-customer spread").
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "ALTER FUNCTION ledger_event_balanced() SET enable_seqscan = off;");
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "ALTER FUNCTION ledger_event_balanced() RESET enable_seqscan;");
}
