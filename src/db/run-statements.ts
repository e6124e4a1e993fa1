import { type Kysely, sql } from "kysely";

/**
 * Runs a script of several SQL statements one by one. PGlite's query() uses the extended protocol, which
 * takes one statement at a time, so migrations are split at semicolons that end a line.
 * Statements must therefore not contain a line ending in `;` inside a string or function body.
 */
export async function runStatements(db: Kysely<unknown>, script: string): Promise<void> {
  const statements = script
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, "").trim())
    .filter((s) => s.length > 0);
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}
