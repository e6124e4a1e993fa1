import { randomBytes } from "node:crypto";
import { openAsBlob } from "node:fs";
import { sql } from "kysely";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { type DatabaseHandle, openDatabase } from "../../src/db/open-database.ts";
import { TEMPLATE_ENV } from "./test-database-template.ts";

/**
 * A fresh, migrated database for one test file: PGlite in memory by default (loaded from a migrated dump when
 * the run made one, else migrated here), or — when DATABASE_URL is set (CI runs the `db` project a second time
 * that way) — a throw-away schema on that PostgreSQL.
 */
export async function createTestDatabase(): Promise<DatabaseHandle> {
  const url = process.env["DATABASE_URL"];
  if (!url) {
    // From the migrated dump the run's global setup made (test-database-template.ts), when there is one.
    const template = process.env[TEMPLATE_ENV];
    const loadDataDir = template ? await templateBlob(template) : undefined;
    const handle = await openDatabase({ memory: true, ...(loadDataDir ? { loadDataDir } : {}) });
    await migrateToLatest(handle.db);
    return handle;
  }
  const schema = `tb_test_${randomBytes(6).toString("hex")}`;
  const admin = await openDatabase({ url, poolSize: 1 });
  await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
  const handle = await openDatabase({ url, schema, poolSize: 10 });
  await migrateToLatest(handle.db);
  return {
    db: handle.db,
    kind: handle.kind,
    close: async () => {
      await handle.close();
      await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(admin.db);
      await admin.close();
    },
  };
}

/**
 * The dump as a Blob backed by its file, made once per worker (its files share modules: vitest.config.ts). The
 * dump is about 42 MB (a WAL segment and three databases' catalogs): reading it into a new Blob for every test
 * file cost about 0.4 of the 1.5 s an instance took to load (2026-12-02; 1.1 s with this).
 */
let template: { path: string; blob: Promise<Blob> } | undefined;
export function templateBlob(path: string): Promise<Blob> {
  if (template?.path !== path) template = { path, blob: openAsBlob(path) };
  return template.blob;
}
