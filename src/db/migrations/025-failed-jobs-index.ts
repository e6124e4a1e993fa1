import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// The jobs that failed for good (permanently, or out of attempts): the console's failed-jobs list (newest
// failure first, keyed by updated_at then id) and the metrics scrape's count of them by kind read only these
// rows. Without it both read the whole job table, which keeps done jobs for RETENTION_JOBS_DAYS. Failed jobs
// stay until someone retries them (housekeeping trims done jobs only), so the index is small.
// IF NOT EXISTS: an operator may build it beforehand with CREATE INDEX CONCURRENTLY under this name.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    "CREATE INDEX IF NOT EXISTS job_failed ON job (updated_at DESC, id DESC) WHERE status = 'failed';",
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP INDEX IF EXISTS job_failed;");
}
