import { type Kysely, sql } from "kysely";
import type { Database } from "./schema.ts";
import { describe, expect, it } from "vitest";
import { asServiceError } from "../kernel/errors.ts";
import { StatementRefusedError } from "./database-outage.ts";
import { type NamingOff, statementName } from "./named-statements.ts";
import { probeSchema } from "./testing/probe-schema.ts";

// Named statements against PostgreSQL (named-statements.ts): statements are prepared once per connection and
// reused; a named `select *` whose table another process changed runs again unnamed outside a transaction,
// fails its transaction once inside one, and makes every connection of the pool name its statements afresh;
// a connection that loses its statements or finds another client's (a pooler) turns naming off.

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
  const { schema, alter, open } = probeSchema(url!, [
    [1, "one"],
    [2, "two"],
  ]);

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
    await alter(`ALTER TABLE ${schema}.probe ADD COLUMN b text DEFAULT 'bee'`);
    try {
      // PostgreSQL refuses the prepared form ("cached plan must not change result type"); the statement is
      // sent again unnamed and answers with the new column, and the next use prepares it under a new name.
      expect((await read()).rows).toEqual([{ id: 2, a: "two", b: "bee" }]);
      expect((await read()).rows).toEqual([{ id: 2, a: "two", b: "bee" }]);
      const { rows } = await sql<{ name: string }>`
        SELECT name FROM pg_prepared_statements WHERE statement = 'SELECT * FROM probe WHERE id = $1'
        ORDER BY name`.execute(on.db);
      const name = statementName("SELECT * FROM probe WHERE id = $1");
      expect(rows.map((r) => r.name)).toEqual([name, `${name}_1`]);
    } finally {
      await alter(`ALTER TABLE ${schema}.probe DROP COLUMN b`);
    }
  });

  it("inside a transaction the refused statement fails that transaction once; the next one works", async () => {
    const on = await open(true);
    const read = (db: Kysely<Database>) =>
      sql<Record<string, unknown>>`SELECT * FROM probe WHERE id = ${1}`.execute(db);
    expect((await read(on.db)).rows).toEqual([{ id: 1, a: "one" }]);
    await alter(`ALTER TABLE ${schema}.probe ADD COLUMN c int DEFAULT 7`);
    try {
      const failed = await on.db
        .transaction()
        .execute((trx) => read(trx))
        .catch((error: unknown) => error);
      // Answered as the database's passing failure (a 503 with Retry-After, a job's retry), not an internal
      // error: the transaction was rolled back whole, so running it again is safe, and it works.
      expect(failed).toBeInstanceOf(StatementRefusedError);
      expect(asServiceError(failed)?.code).toBe("UPSTREAM_UNAVAILABLE");
      expect(((failed as Error).cause as { code?: string }).code).toBe("0A000");
      const rows = await on.db.transaction().execute(async (trx) => (await read(trx)).rows);
      expect(rows).toEqual([{ id: 1, a: "one", c: 7 }]);
    } finally {
      await alter(`ALTER TABLE ${schema}.probe DROP COLUMN c`);
    }
  });

  it("after another process changed a table, each connection of the pool names afresh, none fails", async () => {
    const on = await open(true, 2);
    const read = (db: Kysely<Database>) =>
      sql<Record<string, unknown>>`SELECT * FROM probe WHERE id = ${2}`.execute(db);
    /** Runs `read` on both connections of the pool at once: one transaction holds one, the other the second. */
    const onBoth = () =>
      on.db.transaction().execute(async (first) => {
        const second = await on.db.transaction().execute(async (trx) => (await read(trx)).rows);
        return [(await read(first)).rows, second];
      });
    expect(await onBoth()).toEqual([[{ id: 2, a: "two" }], [{ id: 2, a: "two" }]]);
    await alter(`ALTER TABLE ${schema}.probe ADD COLUMN d int DEFAULT 4`);
    try {
      // The first refusal, outside a transaction, is sent again unnamed; it starts a new generation of names,
      // so the other connection's transaction prepares the statement afresh instead of failing.
      expect((await read(on.db)).rows).toEqual([{ id: 2, a: "two", d: 4 }]);
      const fresh = { id: 2, a: "two", d: 4 };
      expect(await onBoth()).toEqual([[fresh], [fresh]]);
    } finally {
      await alter(`ALTER TABLE ${schema}.probe DROP COLUMN d`);
    }
  });

  it("a connection that lost its statements (a pooler's other connection): naming off, with one notice", async () => {
    const notices: NamingOff[] = [];
    const on = await open(true, 1, (off) => notices.push(off));
    const read = (id: number) => sql<{ a: string }>`SELECT a FROM probe WHERE id = ${id}`.execute(on.db);
    expect((await read(1)).rows).toEqual([{ a: "one" }]);
    // What a transaction-mode pooler does to a client: its next statement reaches a server connection that
    // never saw the name. DEALLOCATE on the same connection makes PostgreSQL answer the same way (26000).
    await sql.raw("DEALLOCATE ALL").execute(on.db);
    expect((await read(2)).rows).toEqual([{ a: "two" }]);
    expect(notices).toEqual([{ reason: "pooler", sqlstate: "26000" }]);
    await sql`SELECT a FROM probe WHERE id = ${1} OR id = ${2}`.execute(on.db);
    expect(await namedOnConnection(on.db)).toEqual([]);
  });

  it("a connection that finds another client's statement of the same name: naming off, the query answered", async () => {
    const notices: NamingOff[] = [];
    const on = await open(true, 1, (off) => notices.push(off));
    const text = "SELECT a FROM probe WHERE id = $1";
    // Another client of a pooler prepared the same text on the server connection we are handed (42P05).
    await sql.raw(`PREPARE ${statementName(text)} (int) AS ${text}`).execute(on.db);
    expect((await sql<{ a: string }>`SELECT a FROM probe WHERE id = ${1}`.execute(on.db)).rows).toEqual([
      { a: "one" },
    ]);
    expect(notices).toEqual([{ reason: "pooler", sqlstate: "42P05" }]);
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
