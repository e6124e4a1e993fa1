import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { LATEST_MIGRATION } from "../../src/db/migrate.ts";
import { openDatabase } from "../../src/db/open-database.ts";
import { createTestDatabase, urlOfDatabase } from "./test-database.ts";

// Database isolation is what lets bench/sync run through a pooler in transaction mode (test-database.ts).

const url = process.env["DATABASE_URL"];

describe("urlOfDatabase", () => {
  it("names another database and keeps user, host, port and parameters", () => {
    expect(urlOfDatabase("postgres://u:p@db.example:6432/tokenbill?sslmode=require", "tb_test_1")).toBe(
      "postgres://u:p@db.example:6432/tb_test_1?sslmode=require",
    );
  });
});

describe.skipIf(!url)("createTestDatabase with TEST_DATABASE_ISOLATION=database", () => {
  afterEach(() => {
    delete process.env["TEST_DATABASE_ISOLATION"];
  });

  it("makes a migrated database of its own and drops it on close", async () => {
    process.env["TEST_DATABASE_ISOLATION"] = "database";
    const handle = await createTestDatabase();
    const own = handle.own!;
    expect(own.name).toMatch(/^tb_test_[0-9a-f]{12}$/);
    const { rows } = await sql<{ db: string; schema: string; last: string }>`
      SELECT current_database() AS db, current_schema() AS schema,
        (SELECT max(name) FROM kysely_migration) AS last`.execute(handle.db);
    expect(rows[0]).toEqual({ db: own.name, schema: "public", last: LATEST_MIGRATION });
    await handle.close();

    const admin = await openDatabase({ url: url!, poolSize: 1 });
    const left = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_database WHERE datname = ${own.name}`.execute(admin.db);
    await admin.close();
    expect(left.rows[0]!.n).toBe(0);
  });

  it("isolates by schema without the setting, naming no database of its own", async () => {
    const handle = await createTestDatabase();
    try {
      expect(handle.own).toBeUndefined();
      const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(handle.db);
      expect(rows[0]!.schema).toMatch(/^tb_test_/);
    } finally {
      await handle.close();
    }
  });
});
