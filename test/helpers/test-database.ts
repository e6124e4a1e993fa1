import { randomBytes } from "node:crypto";
import { openAsBlob } from "node:fs";
import { sql } from "kysely";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { type DatabaseHandle, openDatabase } from "../../src/db/open-database.ts";
import { reusableDatabase } from "./reusable-pglite.ts";
import { TEMPLATE_ENV } from "./test-database-template.ts";

/** A test database: the handle and, under database isolation, the database made for it. */
export interface TestDatabase extends DatabaseHandle {
  /** The throw-away database's name and its URL (DATABASE_URL naming it), under database isolation only. */
  own?: { name: string; url: string };
}

/**
 * A fresh, migrated database for one test file: PGlite in memory by default (loaded from a migrated dump when
 * the run made one, else migrated here), or — when DATABASE_URL is set (CI runs the `db` project a second time
 * that way) — a throw-away schema on that PostgreSQL. With TEST_DATABASE_ISOLATION=database, a throw-away
 * database instead: a pooler in transaction mode drops the startup `options` a schema is chosen by, and
 * routes a new database name by its wildcard entry (bench/sync through PgBouncer, docs/operations.md);
 * there DATABASE_NAMED_STATEMENTS=off is read as serve reads it.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const url = process.env["DATABASE_URL"];
  if (!url) {
    const open = async () => {
      // From the migrated dump the run's global setup made (test-database-template.ts), when there is one.
      const template = process.env[TEMPLATE_ENV];
      const loadDataDir = template ? await templateBlob(template) : undefined;
      const handle = await openDatabase({ memory: true, ...(loadDataDir ? { loadDataDir } : {}) });
      await migrateToLatest(handle.db);
      return handle;
    };
    // In a test run, one an earlier file of this worker closed, put back as loaded (reusable-pglite.ts); a new
    // one each time with TEST_DATABASE_REUSE=off, to tell whether a failure comes from a database used before,
    // and outside Vitest (the benchmarks make their databases here too, and measure what they are given).
    const reuse = process.env["VITEST"] !== undefined && process.env["TEST_DATABASE_REUSE"] !== "off";
    return reuse ? reusableDatabase(open) : open();
  }
  if (process.env["TEST_DATABASE_ISOLATION"] === "database") return createThrowAwayDatabase(url);
  const schema = `tb_test_${randomBytes(6).toString("hex")}`;
  const admin = await openDatabase({ url, poolSize: 1 });
  await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
  const handle = await openDatabase({ url, schema, poolSize: 10 });
  const drop = async () => {
    await handle.close();
    await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(admin.db);
    await admin.close();
  };
  await migrateOrDrop(handle, drop);
  return { db: handle.db, kind: handle.kind, close: drop };
}

/**
 * Migrates a database made for one test file, or drops it and rethrows: the file's afterAll gets no handle to
 * close when this fails, so a failed migration would otherwise leave its schema or database behind.
 */
async function migrateOrDrop(handle: DatabaseHandle, drop: () => Promise<void>): Promise<void> {
  try {
    await migrateToLatest(handle.db);
  } catch (error) {
    await drop();
    throw error;
  }
}

/** `url` with its database name replaced by `name` (user, host, port and parameters kept). */
export function urlOfDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function createThrowAwayDatabase(url: string): Promise<TestDatabase> {
  const name = `tb_test_${randomBytes(6).toString("hex")}`;
  const admin = await openDatabase({ url, poolSize: 1 });
  await sql.raw(`CREATE DATABASE ${name}`).execute(admin.db);
  const own = urlOfDatabase(url, name);
  // As serve reads it (src/app/database.ts): a pooler without prepared statements needs them off.
  const namedStatements = process.env["DATABASE_NAMED_STATEMENTS"] !== "off";
  const handle = await openDatabase({ url: own, poolSize: 10, namedStatements });
  const drop = async () => {
    await handle.close();
    // FORCE: a pooler may keep server connections to it open after its clients have gone.
    await sql.raw(`DROP DATABASE ${name} WITH (FORCE)`).execute(admin.db);
    await admin.close();
  };
  await migrateOrDrop(handle, drop);
  return { db: handle.db, kind: handle.kind, own: { name, url: own }, close: drop };
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
