import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

/**
 * On PostgreSQL, what to tell the operator when autovacuum is off, else undefined. Without it the planner
 * keeps the statistics a table had when it was last analyzed (empty, for the payment and ledger tables of a
 * new install), and the plans made from them, the foreign-key checks' among them, scan those tables whole:
 * bench/payments recorded 276 payments/s one at a time over 40,000 payments that way, against 1,001/s with
 * the tables analyzed. PGlite has no autovacuum: housekeeping vacuums and analyzes its tables (vacuum-tables.ts),
 * and the job runner analyzes the job table itself (claim-jobs.ts).
 */
export async function autovacuumWarning(db: Kysely<Database>): Promise<string | undefined> {
  const row = (
    await sql<{ setting: string }>`SELECT setting FROM pg_settings WHERE name = 'autovacuum'`.execute(db)
  ).rows[0];
  return row && warningFor(row.setting);
}

/** The warning for this `autovacuum` setting, or undefined when it is on. */
export function warningFor(setting: string): string | undefined {
  if (setting === "on") return undefined;
  return "PostgreSQL runs with autovacuum off: table statistics go stale and payments, claims and lists slow down as tables grow; turn autovacuum on, or run ANALYZE regularly";
}
