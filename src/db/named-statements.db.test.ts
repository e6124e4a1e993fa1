import { randomBytes } from "node:crypto";
import { type Kysely, sql } from "kysely";
import type { Database } from "./schema.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseHandle, openDatabase } from "./open-database.ts";

// DATABASE_NAMED_STATEMENTS=on against PostgreSQL (named-statements.ts): statements are prepared once per
// connection and reused, and a named `select *` whose table another process changed runs again unnamed
// outside a transaction, and fails its transaction once inside one.

const url = process.env["DATABASE_URL"];

/** The named statements of this connection that read the test's table. */
async function namedOnConnection(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ statement: string }>`
    SELECT statement FROM pg_prepared_statements
    WHERE name LIKE 'tokenbill_%' AND statement LIKE '%probe%' AND statement NOT LIKE '%pg_prepared_statements%'
    ORDER BY statement`.execute(db);
  return rows.map((r) => r.statement);
}

describe.runIf(url)("named statements on PostgreSQL", () => {
  let admin: DatabaseHandle;
  const schema = `tb_test_${randomBytes(6).toString("hex")}`;
  const handles: DatabaseHandle[] = [];
  const open = async (namedStatements: boolean) => {
    const handle = await openDatabase({ url: url!, schema, poolSize: 1, namedStatements });
    handles.push(handle);
    return handle;
  };

  beforeAll(async () => {
    admin = await openDatabase({ url: url!, poolSize: 1 });
    await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
    await sql.raw(`CREATE TABLE ${schema}.probe (id int PRIMARY KEY, a text)`).execute(admin.db);
    await sql.raw(`INSERT INTO ${schema}.probe VALUES (1, 'one'), (2, 'two')`).execute(admin.db);
  });
  afterAll(async () => {
    for (const handle of handles) await handle.close();
    await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(admin.db);
    await admin?.close();
  });

  it("prepares a statement once per connection and reuses it; off, nothing is prepared", async () => {
    const on = await open(true);
    for (const id of [1, 2, 1]) {
      const { rows } = await sql`SELECT a FROM probe WHERE id = ${id}`.execute(on.db);
      expect(rows).toEqual([{ a: id === 1 ? "one" : "two" }]);
    }
    expect(await namedOnConnection(on.db)).toEqual(["SELECT a FROM probe WHERE id = $1"]);

    const off = await open(false);
    await sql`SELECT a FROM probe WHERE id = ${1}`.execute(off.db);
    await sql`SELECT a FROM probe WHERE id = ${1}`.execute(off.db);
    expect(await namedOnConnection(off.db)).toEqual([]);
  });

  it("a named select * whose table gained a column runs again unnamed outside a transaction", async () => {
    const on = await open(true);
    const read = () => sql<Record<string, unknown>>`SELECT * FROM probe WHERE id = ${2}`.execute(on.db);
    expect((await read()).rows).toEqual([{ id: 2, a: "two" }]);
    await sql.raw(`ALTER TABLE ${schema}.probe ADD COLUMN b text DEFAULT 'bee'`).execute(admin.db);
    try {
      // PostgreSQL refuses the prepared form ("cached plan must not change result type"); the statement is
      // sent again unnamed and answers with the new column, and goes unnamed on this connection from now on.
      expect((await read()).rows).toEqual([{ id: 2, a: "two", b: "bee" }]);
      expect((await read()).rows).toEqual([{ id: 2, a: "two", b: "bee" }]);
    } finally {
      await sql.raw(`ALTER TABLE ${schema}.probe DROP COLUMN b`).execute(admin.db);
    }
  });

  it("inside a transaction the refused statement fails that transaction once; the next one works", async () => {
    const on = await open(true);
    const read = (db: Kysely<Database>) =>
      sql<Record<string, unknown>>`SELECT * FROM probe WHERE id = ${1}`.execute(db);
    expect((await read(on.db)).rows).toEqual([{ id: 1, a: "one" }]);
    await sql.raw(`ALTER TABLE ${schema}.probe ADD COLUMN c int DEFAULT 7`).execute(admin.db);
    try {
      const failed = await on.db
        .transaction()
        .execute((trx) => read(trx))
        .catch((error: unknown) => error);
      expect((failed as { code?: string }).code).toBe("0A000");
      const rows = await on.db.transaction().execute(async (trx) => (await read(trx)).rows);
      expect(rows).toEqual([{ id: 1, a: "one", c: 7 }]);
    } finally {
      await sql.raw(`ALTER TABLE ${schema}.probe DROP COLUMN c`).execute(admin.db);
    }
  });

  it("after a change of tables on the connection itself, nothing more is named on it", async () => {
    const on = await open(true);
    await sql`SELECT a FROM probe WHERE id = ${1}`.execute(on.db);
    await sql.raw("CREATE TABLE probe_other (id int)").execute(on.db);
    await sql`SELECT a FROM probe WHERE id = ${2} OR id = ${1}`.execute(on.db);
    expect(await namedOnConnection(on.db)).toEqual(["SELECT a FROM probe WHERE id = $1"]);
    await sql.raw("DROP TABLE probe_other").execute(on.db);
  });
});
