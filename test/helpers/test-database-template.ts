import { mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { openDatabase } from "../../src/db/open-database.ts";

// Vitest global setup: one migrated PGlite database, dumped to a file before the test workers start, which
// every test file's in-memory database is loaded from (test-database.ts). A fresh instance runs initdb and
// then every migration (7.5 s here, 2026-12-02); one loaded from the dump is ready in about 1.1 s. The workers
// inherit the file's path through the environment, and the file is removed when the run ends.

export const TEMPLATE_ENV = "TOKENBILL_TEST_PGLITE_TEMPLATE";

// The run's template directory also holds every command's copy of the migrated database (tokenbill-command.ts:
// 1,231 files, 40 MB, copied and removed for each command). On this machine's ext4 disk a copy took 0.3-1.0 s
// of CPU and up to 10 s at load 20; in memory (tmpfs) about 0.1 s of CPU (2026-12-07, docs/performance.md). So
// the directory goes to /dev/shm when it has room for many copies at once (a container's default /dev/shm is
// 64 MB), else to the system's temporary directory.
const MEMORY_DIR = "/dev/shm";
const MEMORY_ROOM_NEEDED = 2 * 1024 ** 3;

function templateRoot(): string {
  try {
    const fs = statfsSync(MEMORY_DIR);
    if (fs.bavail * fs.bsize >= MEMORY_ROOM_NEEDED) return MEMORY_DIR;
  } catch {
    // No /dev/shm (not Linux): the temporary directory.
  }
  return tmpdir();
}

export default async function setup(): Promise<() => void> {
  // On PostgreSQL (DATABASE_URL) every test file makes its own schema instead: nothing to prepare.
  if (process.env["DATABASE_URL"]) return () => {};
  const dir = mkdtempSync(join(templateRoot(), "tokenbill-test-template-"));
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
