import { type Kysely, sql } from "kysely";

// The admin API's `customers?email=` filter is a case-insensitive substring match (ILIKE '%…%'), which no
// B-tree can serve: a trigram index does. pg_trgm is a trusted extension (PostgreSQL 13+),
// so a database owner may create it; where even that is not allowed, the migration goes on without the
// index and the filter still works, by scanning. Each block runs whole (runStatements would split it).
// An extension is the database's, not a schema's, so the schema's migration lock does not keep two schemas
// (tenants, test files) apart here: one that creates it while another's creation is uncommitted waits for
// that one and then fails on pg_extension's unique index, once the extension exists. It exists then, so go on.
const CREATE_EXTENSION = `
DO $$ BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
EXCEPTION WHEN unique_violation THEN
  NULL;
WHEN insufficient_privilege OR undefined_file THEN
  RAISE WARNING 'pg_trgm is not available (%); customers?email= will scan instead of using an index', SQLERRM;
END $$`;

// The extension may live in another schema than public (installed there by an operator); find it.
const CREATE_INDEX = `
DO $$ DECLARE trgm_schema text;
BEGIN
  SELECT n.nspname INTO trgm_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
  IF trgm_schema IS NOT NULL THEN
    EXECUTE format('CREATE INDEX customer_email_trgm ON customer USING gin (email %I.gin_trgm_ops)', trgm_schema);
  END IF;
END $$`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(CREATE_EXTENSION).execute(db);
  await sql.raw(CREATE_INDEX).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS customer_email_trgm`.execute(db);
}
