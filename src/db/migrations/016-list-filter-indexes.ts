import { type Kysely, sql } from "kysely";
import { runStatements } from "../run-statements.ts";

// The indexes the list filters need (issue 13 §6; test/db-indexes.db.test.ts checks each with EXPLAIN on
// PostgreSQL), beside those earlier migrations made: customers by client group (001) and e-mail (010,
// trigram), invoices by period (004) and customer (its unique key), payments, credit notes and the ledger by
// customer (013), the call log by time (003), the audit log by entity (001), open jobs (003).
// - customer: the status and sync-state filters, each in the list's id order;
// - invoice: the status filter in the list's order (period newest first, then customer); it also finds the
//   open invoices (finalized, partly paid) that dunning's candidate pages and the overdue totals read;
// - payment: by invoice; audit_log: by actor, newest first (the list's order);
// - solusio_call: the failed calls, newest first; job: done jobs by age, which housekeeping trims.
// IF NOT EXISTS: on a large database an operator may build them beforehand with CREATE INDEX CONCURRENTLY
// under these names, so that this migration does not hold writes while it builds them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE INDEX IF NOT EXISTS customer_status ON customer (status, id);
    CREATE INDEX IF NOT EXISTS customer_sync_state ON customer (sync_state, id);
    CREATE INDEX IF NOT EXISTS invoice_status ON invoice (status, period DESC, customer_id);
    CREATE INDEX IF NOT EXISTS payment_invoice ON payment (invoice_id) WHERE invoice_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (actor, id);
    CREATE INDEX IF NOT EXISTS solusio_call_failed ON solusio_call (id) WHERE error IS NOT NULL;
    CREATE INDEX IF NOT EXISTS job_done_updated ON job (updated_at) WHERE status = 'done';
    `,
  );
  // The console's search (name or e-mail, ILIKE '%…%') needs a trigram index on the name too; like 010,
  // only where pg_trgm is installed (else the search scans).
  await sql
    .raw(`
DO $$ DECLARE trgm_schema text;
BEGIN
  SELECT n.nspname INTO trgm_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
  IF trgm_schema IS NOT NULL THEN
    EXECUTE format('CREATE INDEX IF NOT EXISTS customer_name_trgm ON customer USING gin (name %I.gin_trgm_ops)', trgm_schema);
  END IF;
END $$`)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP INDEX IF EXISTS customer_name_trgm;
    DROP INDEX IF EXISTS job_done_updated;
    DROP INDEX IF EXISTS solusio_call_failed;
    DROP INDEX IF EXISTS audit_log_actor;
    DROP INDEX IF EXISTS payment_invoice;
    DROP INDEX IF EXISTS invoice_status;
    DROP INDEX IF EXISTS customer_sync_state;
    DROP INDEX IF EXISTS customer_status;
    `,
  );
}
