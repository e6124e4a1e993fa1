import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { openDatabase } from "../../src/db/open-database.ts";

// Vitest global setup: one migrated PGlite database, dumped to a file before the test workers start, which
// every test file's in-memory database is loaded from (test-database.ts). A fresh instance runs initdb and
// then every migration (7.5 s here, 2026-12-02); one loaded from the dump is ready in about 1.1 s. The workers
// inherit the file's path through the environment, and the file is removed when the run ends.

export const TEMPLATE_ENV = "TOKENBILL_TEST_PGLITE_TEMPLATE";

export default async function setup(): Promise<() => void> {
  // On PostgreSQL (DATABASE_URL) every test file makes its own schema instead: nothing to prepare.
  if (process.env["DATABASE_URL"]) return () => {};
  const dir = mkdtempSync(join(tmpdir(), "tokenbill-test-template-"));
  const handle = await openDatabase({ memory: true });
  try {
    await migrateToLatest(handle.db);
    const dump = await handle.dumpDataDir!();
    const file = join(dir, "migrated.tar");
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()), { mode: 0o600 });
    process.env[TEMPLATE_ENV] = file;
  } finally {
    await handle.close();
  }
  return () => rmSync(dir, { recursive: true, force: true });
}
