import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "./open-database.ts";
import { vacuumTables } from "./vacuum-tables.ts";

// PGlite has no autovacuum. A table whose rows are written and deleted over and over (done jobs trimmed,
// the SolusIO call log) keeps its live rows few, but without VACUUM its file grows by every deleted row.
// vacuumTables makes that space reusable, table by table.

let handle: DatabaseHandle;
const onPglite = !process.env["DATABASE_URL"];

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => {
  await handle?.close();
});

/** One round of churn: 2,000 rows of about 200 bytes written, then deleted, as housekeeping trims. */
async function churn(table: string) {
  await sql`INSERT INTO ${sql.table(table)} SELECT n, repeat('x', 200) FROM generate_series(1, 2000) n`.execute(
    handle.db,
  );
  await sql`DELETE FROM ${sql.table(table)}`.execute(handle.db);
}

async function sizeOf(table: string): Promise<number> {
  const { rows } = await sql<{
    bytes: string;
  }>`SELECT pg_relation_size(${table}::regclass)::text AS bytes`.execute(handle.db);
  return Number(rows[0]!.bytes);
}

describe("vacuumTables", () => {
  it.skipIf(!onPglite)(
    "is needed on PGlite: without it, a churning table's file grows every round",
    async () => {
      await sql`CREATE TABLE churn_unvacuumed (id int PRIMARY KEY, payload text)`.execute(handle.db);
      await churn("churn_unvacuumed");
      const afterOne = await sizeOf("churn_unvacuumed");
      for (let round = 0; round < 4; round++) await churn("churn_unvacuumed");
      expect(await sizeOf("churn_unvacuumed")).toBeGreaterThanOrEqual(4 * afterOne);
      await sql`DROP TABLE churn_unvacuumed`.execute(handle.db);
    },
  );

  // Only where housekeeping runs it. On PostgreSQL, VACUUM may not remove rows another session's snapshot
  // can still see, and CI's other test files keep transactions open on the same database beside this one
  // (the table grew to three rounds' size there); reclaiming that space is autovacuum's work on PostgreSQL.
  it.skipIf(!onPglite)("keeps a churning table at the size of one round on PGlite", async () => {
    await sql`CREATE TABLE churn_vacuumed (id int PRIMARY KEY, payload text)`.execute(handle.db);
    await churn("churn_vacuumed");
    const afterOne = await sizeOf("churn_vacuumed");
    expect(afterOne).toBeGreaterThan(0);
    for (let round = 0; round < 4; round++) {
      await vacuumTables(handle.db);
      await churn("churn_vacuumed");
    }
    expect(await sizeOf("churn_vacuumed")).toBeLessThanOrEqual(afterOne);
    await sql`DROP TABLE churn_vacuumed`.execute(handle.db);
  });

  it("covers every table of the schema in use, and nothing from another schema", async () => {
    await sql`CREATE TABLE churn_listed (id int PRIMARY KEY)`.execute(handle.db);
    const vacuumed = await vacuumTables(handle.db);
    const { rows } = await sql<{ name: string }>`
      SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`.execute(
      handle.db,
    );
    expect(vacuumed).toEqual(rows.map((r) => r.name));
    expect(vacuumed).toEqual(expect.arrayContaining(["churn_listed", "job", "customer", "invoice"]));
    expect(vacuumed.some((name) => name.startsWith("pg_"))).toBe(false);
    await sql`DROP TABLE churn_listed`.execute(handle.db);
  });
});
