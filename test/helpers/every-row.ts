import { sql } from "kysely";
import type { Db } from "../../src/kernel/context.ts";

// Whether a request wrote anything: a signature of every row of every table, compared before and after.

/**
 * Every row of every table of the test's schema, as a signature per table: the rows' count, and a digest of
 * each row's version (xmin) and contents, so an update that rewrote a row with its own values counts too.
 */
export async function everyRow(db: Db): Promise<Record<string, string>> {
  const tables = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY 1`.execute(db);
  const parts = tables.rows.map(
    ({ name }) =>
      sql`SELECT ${name}::text AS name, count(*)::text || ' ' || coalesce(md5(string_agg(t.xmin::text || ' ' || t::text, ',' ORDER BY t.xmin::text || ' ' || t::text)), '') AS rows FROM ${sql.table(name)} t`,
  );
  const result = await sql<{ name: string; rows: string }>`${sql.join(parts, sql` UNION ALL `)}`.execute(db);
  return Object.fromEntries(result.rows.map((r) => [r.name, r.rows]));
}

/** The tables whose rows differ between two signatures. */
export function changed(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((name) => before[name] !== after[name]);
}
