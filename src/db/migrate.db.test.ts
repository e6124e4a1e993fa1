import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { ServiceError } from "../kernel/errors.ts";
import { LATEST_MIGRATION, migrateToLatest } from "./migrate.ts";
import { type DatabaseHandle, openDatabase } from "./open-database.ts";

// Migrations on a PostgreSQL shared by several schemas (tenants, benchmarks, test files side by side).

const url = process.env["DATABASE_URL"];
let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

describe("migrateToLatest", () => {
  it("reports nothing to apply on a migrated database, and the schema holds its own bookkeeping", async () => {
    expect(await migrateToLatest(handle.db)).toEqual([]);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from kysely_migration`.execute(handle.db);
    expect(rows[0]!.n).toBeGreaterThanOrEqual(18);
  });

  // An older tokenbill started against a database a newer one has migrated (a rollback, an old instance left
  // running through an upgrade): it must refuse, saying why, and change nothing.
  it("refuses a database migrated by a newer tokenbill, naming the migration it does not know", async () => {
    await handle.db
      .insertInto("kysely_migration" as never)
      .values({ name: "999-from-a-newer-version", timestamp: new Date().toISOString() } as never)
      .execute();
    try {
      const refused = await migrateToLatest(handle.db).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ServiceError);
      expect((refused as ServiceError).code).toBe("CONFLICT");
      expect((refused as ServiceError).message).toBe(
        "this database was migrated by a newer version of tokenbill: it has migration 999-from-a-newer-version, " +
          `which this version does not know (the last it knows is ${LATEST_MIGRATION}). Run that version or a later one.`,
      );
    } finally {
      await handle.db
        .deleteFrom("kysely_migration" as never)
        .where("name" as never, "=", "999-from-a-newer-version" as never)
        .execute();
    }
    expect(await migrateToLatest(handle.db)).toEqual([]);
  });

  // Kysely's own catalog read looked every schema up by name and failed when one was dropped meanwhile
  // ("schema … does not exist"): seen when two test files ran at once. Here other schemas come and go while
  // fresh ones are migrated.
  it.skipIf(!url)("migrates while other schemas are created and dropped beside it", async () => {
    const admin = await openDatabase({ url: url!, poolSize: 2 });
    const created: string[] = [];
    let churning = true;
    // Two connections, each making a schema with a table and dropping it again, as fast as they can.
    const churner = async () => {
      while (churning) {
        const other = `tb_churn_${randomBytes(4).toString("hex")}`;
        await sql
          .raw(`CREATE SCHEMA ${other}; CREATE TABLE ${other}.t (id bigserial PRIMARY KEY)`)
          .execute(admin.db);
        await sql.raw(`DROP SCHEMA ${other} CASCADE`).execute(admin.db);
      }
    };
    const churn = Promise.all([churner(), churner()]);
    try {
      for (let i = 0; i < 4; i++) {
        const schema = `tb_test_${randomBytes(6).toString("hex")}`;
        await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
        created.push(schema);
        const db = await openDatabase({ url: url!, schema, poolSize: 2 });
        try {
          expect((await migrateToLatest(db.db)).length).toBeGreaterThanOrEqual(18);
        } finally {
          await db.close();
        }
      }
    } finally {
      churning = false;
      await churn;
      for (const schema of created) await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(admin.db);
      await admin.close();
    }
  });
});
