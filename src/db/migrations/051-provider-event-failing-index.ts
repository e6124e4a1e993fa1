import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// The doctor's "payment provider events" line counts and names the events stored failing (provider-events-check.ts)
// on every doctor run and every view of the console's SolusIO page. provider_event keeps every event a provider
// sent, processed ones included, one a payment, a refund, a checkout: without an index the line read the whole
// table each time to find the few failing. This partial index holds only those, in the order the line names them,
// so it stays as small as the failures however many events were processed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `CREATE INDEX IF NOT EXISTS provider_event_failing ON provider_event (received_at, event_id)
       WHERE processed_at IS NULL AND error IS NOT NULL;`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP INDEX IF EXISTS provider_event_failing;");
}
