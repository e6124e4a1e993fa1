import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Config } from "../config.ts";
import { liveLockOwner } from "../db/data-dir-lock.ts";
import { type RestoreResult, restoreEmbeddedBackup } from "../db/embedded-backup.ts";
import { openDatabase } from "../db/open-database.ts";
import { packDataDir } from "../db/pack-data-dir.ts";
import { sharedSocketDir } from "../db/pglite-socket-server.ts";
import { ServiceError } from "../kernel/errors.ts";
import { BackupInterrupted, writePrivately } from "./write-privately.ts";

// `tokenbill database backup` and `restore` (docs/operations.md, "Backups"): the embedded database only.

function embeddedOnly(config: Config, postgresAdvice: string): void {
  if (config.DATABASE_URL)
    throw new ServiceError(
      "CONFLICT",
      `DATABASE_URL is set: tokenbill backs up only its embedded database; ${postgresAdvice} (docs/operations.md, "Backups")`,
    );
  if (config.DATA_DIR === "memory://")
    throw new ServiceError("CONFLICT", "DATA_DIR is memory://: an in-memory database has nothing to keep");
}

/**
 * Where the running `serve` answers, as its configuration says: TOKENBILL_PUBLIC_URL, else HOST:PORT (a
 * wildcard HOST as loopback). The advice said `http://<serve's address>` though both are known; only a PORT of 0
 * (a free port chosen at start) leaves the address to the operator.
 */
function serveAddress(config: Config): string {
  if (config.TOKENBILL_PUBLIC_URL !== undefined) return config.TOKENBILL_PUBLIC_URL.replace(/\/+$/, "");
  if (config.PORT === 0) return "http://<serve's address>";
  const host = config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST === "::" ? "::1" : config.HOST;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.PORT}`;
}

/**
 * Writes the backup of a DATA_DIR no other process holds to `out` (opened here, not migrated: the backup to
 * take before an upgrade). Returns its size. `signal` stops it: BackupInterrupted, and no file is left.
 */
export async function backupDataDir(config: Config, out: string, signal?: AbortSignal): Promise<number> {
  embeddedOnly(config, "back it up with pg_dump or your provider's snapshots");
  if (existsSync(out)) throw new ServiceError("CONFLICT", `${out} exists; name a new file`);
  // Said before the database is opened (seconds), not as the write's ENOENT once the backup is made.
  if (!isDirectory(dirname(out)))
    throw new ServiceError("NOT_FOUND", `no directory ${dirname(out)} to write the backup in`);
  if (!existsSync(`${config.DATA_DIR}/PG_VERSION`))
    throw new ServiceError("NOT_FOUND", `${resolve(config.DATA_DIR)} holds no database to back up`);
  const owner = liveLockOwner(config.DATA_DIR);
  if (owner !== undefined)
    throw new ServiceError(
      "CONFLICT",
      sharedSocketDir(config.DATA_DIR)
        ? // The umask makes curl's file owner-only, as this command's is: under the usual 022 every user of
          // the host could read the key hashes, the SSO signing key and every customer (docs/security.md).
          `serve (pid ${owner}) holds the database: take the backup from it, with an admin API key: ` +
            `(umask 077; curl -fsS -H "Authorization: Bearer $KEY" -o ${out} ${serveAddress(config)}/api/v1/backup) ` +
            "(or the console's Settings page)"
        : `tokenbill process ${owner} holds the database; run the backup when it has ended`,
    );
  const handle = await openDatabase({ dataDir: config.DATA_DIR });
  try {
    // Stopped while the database opened (seconds): nothing is written yet.
    if (signal?.aborted) throw new BackupInterrupted(out);
    return await writePrivately(out, (into) => packDataDir(handle.db, config.DATA_DIR, into, signal), signal);
  } finally {
    await handle.close();
  }
}

/** Puts the backup in `from` in DATA_DIR (embedded-backup.ts says how). */
export function restoreDataDir(config: Config, from: string, replace: boolean): Promise<RestoreResult> {
  embeddedOnly(config, "restore it with pg_restore or psql");
  if (!existsSync(from)) throw new ServiceError("NOT_FOUND", `no backup file at ${from}`);
  return restoreEmbeddedBackup({
    from,
    dataDir: config.DATA_DIR,
    replace,
    now: new Date(),
  });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
