import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseHandle, openDatabase } from "./open-database.ts";
import { PREPARED_STATEMENT_LIMIT } from "./pglite-driver.ts";

// tokenbill's Kysely driver for PGlite (pglite-driver.ts): values come back as PGlite's query() gave them,
// statements that read or write rows are prepared once per text and reused, DDL drops them, and an error
// leaves the session ready for the next statement.

/** The scratch table these tests make; every column's type is one the driver must carry. */
interface Scratch {
  sample: {
    id: bigint;
    amount: string | null;
    ok: boolean | null;
    doc: unknown;
    at: Date | null;
    tags: string[] | null;
    ids: bigint[] | null;
    raw: Uint8Array | null;
    note: string | null;
    extra?: number;
  };
}

let handle: DatabaseHandle;
let db: Kysely<Scratch>;

const prepared = async () =>
  (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db)).rows.map(
    (r) => r.statement,
  );

beforeAll(async () => {
  handle = await openDatabase({ memory: true });
  db = handle.db as unknown as Kysely<Scratch>;
  await sql`create table sample (id int8 primary key, amount numeric, ok bool, doc jsonb, at timestamptz,
            tags text[], ids int8[], raw bytea, note text)`.execute(db);
});
afterAll(async () => {
  await handle.close();
});

describe("PGlite driver", () => {
  it("sends parameters by the type PostgreSQL infers and parses each column by its type", async () => {
    const at = new Date("2026-11-30T12:34:56.789Z");
    await db
      .insertInto("sample")
      .values({
        id: 9007199254740993n,
        amount: "12.345678901234567890",
        ok: true,
        doc: JSON.stringify({ a: [1, "x"] }),
        at,
        tags: ["a", "b,c", 'd"e'],
        ids: [1n, 9007199254740993n],
        raw: new Uint8Array([0, 255, 16]),
        note: null,
      })
      .execute();
    const row = await db.selectFrom("sample").selectAll().executeTakeFirstOrThrow();
    expect(row).toEqual({
      id: 9007199254740993n,
      amount: "12.345678901234567890",
      ok: true,
      doc: { a: [1, "x"] },
      at,
      tags: ["a", "b,c", 'd"e'],
      ids: [1n, 9007199254740993n],
      raw: new Uint8Array([0, 255, 16]),
      note: null,
    });
    const byArray = await sql<{
      id: bigint;
    }>`select id from sample where id = any(${[9007199254740993n]})`.execute(db);
    expect(byArray.rows).toEqual([{ id: 9007199254740993n }]);
  });

  it("counts the rows an insert, update or delete touched", async () => {
    const inserted = await db
      .insertInto("sample")
      .values([{ id: 1n }, { id: 2n }, { id: 3n }])
      .executeTakeFirstOrThrow();
    expect(inserted.numInsertedOrUpdatedRows).toBe(3n);
    const updated = await db
      .updateTable("sample")
      .set({ note: "n" })
      .where("id", "<=", 2n)
      .executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(2n);
    const deleted = await db.deleteFrom("sample").where("id", "in", [1n, 2n, 3n]).executeTakeFirst();
    expect(deleted.numDeletedRows).toBe(3n);
  });

  it("prepares a statement once per text and runs it again with new parameters", async () => {
    const read = (id: bigint) => db.selectFrom("sample").select("id").where("id", "=", id).execute();
    await read(9007199254740993n);
    const before = await prepared();
    const text = before.find((s) => /from "sample" where "id" = \$1/.test(s));
    expect(text).toBeDefined();
    expect(await read(9007199254740993n)).toEqual([{ id: 9007199254740993n }]);
    expect(await read(5n)).toEqual([]);
    const after = await prepared();
    expect(after.filter((s) => s === text)).toHaveLength(1);
  });

  it("keeps at most PREPARED_STATEMENT_LIMIT statements, closing the least recently used", async () => {
    for (let i = 0; i < PREPARED_STATEMENT_LIMIT + 20; i++) {
      await sql`select ${i}::int as n, ${sql.lit(i)} as variant`.execute(db);
    }
    const statements = await prepared();
    expect(statements.length).toBeLessThanOrEqual(PREPARED_STATEMENT_LIMIT);
    const variant = (i: number) => statements.some((s) => s.endsWith(` ${i} as variant`));
    expect(variant(0)).toBe(false);
    expect(variant(PREPARED_STATEMENT_LIMIT + 19)).toBe(true);
  });

  it("drops prepared statements on DDL, so a changed table is read with its new columns", async () => {
    const all = () => db.selectFrom("sample").selectAll().where("id", "=", 9007199254740993n).execute();
    expect(Object.keys((await all())[0]!)).not.toContain("extra");
    await sql`alter table sample add column extra int4 default 7`.execute(db);
    expect((await all())[0]!["extra"]).toBe(7);
    await sql`alter table sample drop column extra`.execute(db);
  });

  it("reports an error with PostgreSQL's code and constraint, and the session goes on", async () => {
    const duplicate = db.insertInto("sample").values({ id: 9007199254740993n }).execute();
    await expect(duplicate).rejects.toMatchObject({ code: "23505", constraint: "sample_pkey" });
    await expect(sql`selec 1`.execute(db)).rejects.toMatchObject({ code: "42601" });
    await expect(sql`select ${"x"}::int`.execute(db)).rejects.toMatchObject({ code: "22P02" });
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
  });

  it("rolls a failed transaction back as a whole", async () => {
    const failing = db.transaction().execute(async (tx) => {
      await tx.insertInto("sample").values({ id: 100n }).execute();
      await tx.insertInto("sample").values({ id: 100n }).execute();
    });
    await expect(failing).rejects.toMatchObject({ code: "23505" });
    expect(await db.selectFrom("sample").select("id").where("id", "=", 100n).execute()).toEqual([]);
    await db.transaction().execute(async (tx) => {
      await tx.insertInto("sample").values({ id: 101n }).execute();
    });
    expect(await db.selectFrom("sample").select("id").where("id", "=", 101n).execute()).toEqual([
      { id: 101n },
    ]);
  });

  it("prepares a statement again when someone else deallocated it", async () => {
    const read = (tx: typeof db = db) =>
      tx.selectFrom("sample").select("id").where("id", "=", 101n).execute();
    await read();
    await sql`deallocate all`.execute(db);
    expect(await read()).toEqual([{ id: 101n }]);
    // Inside a transaction the failed Bind has failed the transaction: the error is the caller's to see.
    await sql`deallocate all`.execute(db);
    const inTransaction = db.transaction().execute((tx) => read(tx));
    await expect(inTransaction).rejects.toMatchObject({ code: "26000" });
    expect(await read()).toEqual([{ id: 101n }]);
  });

  it("runs a statement with many parameters without keeping it", async () => {
    const ids = Array.from({ length: 150 }, (_, i) => BigInt(1000 + i));
    await db
      .insertInto("sample")
      .values(ids.map((id) => ({ id })))
      .execute();
    const rows = await db.selectFrom("sample").select("id").where("id", "in", ids).orderBy("id").execute();
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect((await prepared()).some((s) => s.includes("$150"))).toBe(false);
  });
});

describe("a PGlite database started from a dump", () => {
  it("holds what the dumped one held, parsed the same way, and is a copy of its own", async () => {
    // The file's database is the source (a new one would run initdb again, seconds under load); the table is
    // this test's own, dropped after.
    const source = handle;
    try {
      await sql`create table kept (id int8 primary key, amount numeric)`.execute(source.db);
      await sql`insert into kept values (9007199254740993, '12.340')`.execute(source.db);
      const dump = await source.dumpDataDir!();
      const copy = await openDatabase({ memory: true, loadDataDir: dump });
      try {
        const read = async (h: DatabaseHandle) =>
          (await sql<{ id: bigint; amount: string }>`select id, amount from kept`.execute(h.db)).rows;
        expect(await read(copy)).toEqual([{ id: 9007199254740993n, amount: "12.340" }]);
        await sql`insert into kept values (2, '1')`.execute(copy.db);
        expect(await read(source)).toHaveLength(1);
      } finally {
        await copy.close();
      }
    } finally {
      await sql`drop table if exists kept`.execute(source.db);
    }
  });
});
