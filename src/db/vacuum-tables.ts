import { type Kysely, sql } from "kysely";
import type { Database } from "./schema.ts";

// The embedded database has no autovacuum: PGlite runs PostgreSQL as one process, without the launcher that
// vacuums tables on a real server. Rows deleted by housekeeping and the old versions every UPDATE leaves
// (jobs claimed and finished, customers synced, billing runs' progress) then stay in the files for ever: a
// table whose live rows stay few keeps growing, and every scan and index walks past its dead rows. This does
// autovacuum's work on a clock instead (housekeeping.ts): VACUUM makes the space reusable and ANALYZE keeps
// the planner's statistics current. One statement a table, so work waiting for the database (the admin API,
// jobs) runs between tables rather than after the whole round.

/** The tables of the schema in use, in name order. */
async function tablesOfSchema(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`.execute(
    db,
  );
  return rows.map((row) => row.name);
}

/** VACUUM (ANALYZE) every table of the current schema, one after another; returns the tables done. */
export async function vacuumTables(db: Kysely<Database>): Promise<string[]> {
  const tables = await tablesOfSchema(db);
  for (const table of tables) await sql`VACUUM (ANALYZE) ${sql.id(table)}`.execute(db);
  return tables;
}
