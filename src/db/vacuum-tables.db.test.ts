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

  it("keeps a churning table at the size of one round, and covers every table of the schema", async () => {
    await sql`CREATE TABLE churn_vacuumed (id int PRIMARY KEY, payload text)`.execute(handle.db);
    await churn("churn_vacuumed");
    const afterOne = await sizeOf("churn_vacuumed");
    expect(afterOne).toBeGreaterThan(0);
    let vacuumed: string[] = [];
    for (let round = 0; round < 4; round++) {
      vacuumed = await vacuumTables(handle.db);
      await churn("churn_vacuumed");
    }
    expect(await sizeOf("churn_vacuumed")).toBeLessThanOrEqual(afterOne);
    // Every table of tokenbill's schema, this one among them, and nothing from another schema.
    const { rows } = await sql<{ name: string }>`
      SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`.execute(
      handle.db,
    );
    expect(vacuumed).toEqual(rows.map((r) => r.name));
    expect(vacuumed).toEqual(expect.arrayContaining(["churn_vacuumed", "job", "customer", "invoice"]));
    expect(vacuumed.some((name) => name.startsWith("pg_"))).toBe(false);
    await sql`DROP TABLE churn_vacuumed`.execute(handle.db);
  });
});
