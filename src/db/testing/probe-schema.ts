import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll } from "vitest";
import type { NamingOff } from "../named-statements.ts";
import { type DatabaseHandle, openDatabase } from "../open-database.ts";

/**
 * For tests of named statements on PostgreSQL: a schema of their own holding `probe (id int, a text)` with
 * `rows`, a handle that changes it as another process would (`admin`), and handles opened on it (`open`); all
 * closed and dropped after the file. Call inside a `describe` that runs only with a DATABASE_URL.
 */
export function probeSchema(url: string, rows: [id: number, a: string][]) {
  const schema = `tb_test_${randomBytes(6).toString("hex")}`;
  const handles: DatabaseHandle[] = [];
  let admin: DatabaseHandle | undefined;
  beforeAll(async () => {
    admin = await openDatabase({ url, poolSize: 1, namedStatements: false });
    await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
    await sql.raw(`CREATE TABLE ${schema}.probe (id int PRIMARY KEY, a text)`).execute(admin.db);
    for (const [id, a] of rows)
      await sql`INSERT INTO ${sql.table(`${schema}.probe`)} VALUES (${id}, ${a})`.execute(admin.db);
  });
  afterAll(async () => {
    for (const handle of handles) await handle.close();
    if (admin) await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(admin.db);
    await admin?.close();
  });
  return {
    schema,
    /** Runs `statement` (DDL naming `${schema}.probe`) outside the pools under test, as another process would. */
    alter: async (statement: string) => {
      await sql.raw(statement).execute(admin!.db);
    },
    open: async (namedStatements: boolean, poolSize = 1, onNamingOff?: (off: NamingOff) => void) => {
      const handle = await openDatabase({
        url,
        schema,
        poolSize,
        namedStatements,
        ...(onNamingOff ? { onNamingOff } : {}),
      });
      handles.push(handle);
      return handle;
    },
  };
}
