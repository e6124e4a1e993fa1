import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { type Kysely, sql } from "kysely";
import * as tar from "tar";
import { SPOOL_PREFIX } from "./backup-spool.ts";
import { LOCK_FILE } from "./data-dir-lock.ts";
import { SOCKET_NAME } from "./pglite-socket-server.ts";
import type { Database } from "./schema.ts";

/**
 * What belongs to a process that had DATA_DIR open, not to the data: its lock, its socket and a sandbox's
 * address. And the secrets kept there in plain text for whoever reads DATA_DIR: the bootstrap admin key
 * (services/api-keys/bootstrap-key.ts) and the sandbox's demo passwords (app/sandbox/sandbox-logins.ts); the
 * database holds their hashes, and a restored instance needs neither (a key that is not there is not made
 * again once keys exist; missing demo passwords are made anew). A backup leaves them all out, and so does a
 * restore (a dump made by PGlite itself keeps them). The sandbox emulator's state (sandbox-emulator.json, with
 * its own admin token) stays: a sandbox database is bound to that emulator's identity (docs/security.md).
 */
const RUNTIME_FILES = new Set([SOCKET_NAME, "sandbox.json", "admin-api-key", "sandbox-logins.json"]);

/** True for a tar entry's path (`./x/y`, `/x/y` or `x/y`) of the data, not of a process. */
export function isDataEntry(path: string): boolean {
  const name = path.replace(/^\.?\//, "").split("/")[0] ?? "";
  // The lock, its run and the files of a process taking it (data-dir-lock.ts) all start with the lock's name;
  // a backup being made is spooled beside the data (backup-spool.ts).
  return !RUNTIME_FILES.has(name) && !name.startsWith(LOCK_FILE) && !name.startsWith(SPOOL_PREFIX);
}

/**
 * Writes the embedded database in `dataDir` into `into` as a gzipped tar, and ends it; consistent: inside one
 * transaction, which holds PGlite's one session (no statement of serve's or of a command's runs meanwhile, and
 * PGlite writes its files only while one runs), a checkpoint first writes what is only in its buffers to the
 * files, so the copy needs no recovery. Streamed: memory does not grow with the database. `signal` stops it
 * (the transaction ends, `into` is destroyed). PGlite's own dump cannot be used on a shared directory: it fails
 * on the socket there, and it makes the whole archive in memory.
 */
export function packDataDir(
  db: Kysely<Database>,
  dataDir: string,
  into: Writable,
  signal?: AbortSignal,
): Promise<void> {
  return db.transaction().execute(async (trx) => {
    await sql`CHECKPOINT`.execute(trx);
    await pipeline(
      tar.c(
        {
          cwd: dataDir,
          portable: true,
          // Read in 1 MiB pieces (16 MiB by default), each handed on without holding the loop for long.
          maxReadSize: 1024 * 1024,
          filter: (path, stat) =>
            isDataEntry(path) && (!("isFile" in stat) || stat.isFile() || stat.isDirectory()),
        },
        ["."],
      ),
      // zlib's stream compresses in libuv's thread pool; tar's own gzip (minizlib) did it on the event loop,
      // 16 MB at a time, and stalled serve (GetTokenPricing included) for up to a second.
      createGzip(),
      into,
      signal ? { signal } : {},
    );
  });
}
