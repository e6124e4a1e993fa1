import { randomBytes } from "node:crypto";
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmdirSync,
  rmSync,
  statfsSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { Transform } from "node:stream";
import { createGunzip } from "node:zlib";
import { pipeline } from "node:stream/promises";
import { sql } from "kysely";
import * as tar from "tar";
import { ServiceError } from "../kernel/errors.ts";
import { ensurePrivateDir, LOCK_FILE, LOCK_RUN_FILE, liveLockOwner, lockDataDir } from "./data-dir-lock.ts";
import { migrateToLatest } from "./migrate.ts";
import { removeLeftRestoreCopies, restoreCopyPath } from "./restore-copies.ts";
import { openDatabase } from "./open-database.ts";
import { isDataEntry } from "./pack-data-dir.ts";

// A backup of the embedded database is a gzipped tar of DATA_DIR (pack-data-dir.ts), taken
// by `serve` (GET /api/v1/backup, the console) or by `tokenbill database backup` when nothing else holds the
// directory. A restore unpacks it beside DATA_DIR, opens and migrates it there, and only then puts it in place,
// so a backup that cannot be read never touches the database in use (docs/operations.md, "Backups").

const GZIP_MAGIC = [0x1f, 0x8b];

/** A UTC instant as a file-name part: 20261204T210512Z. */
export function fileStamp(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

export interface RestoreResult {
  dataDir: string;
  /** Where the database that was in DATA_DIR was moved to, if there was one. */
  replacedTo?: string | undefined;
  /** Migrations the backup needed to reach this version of tokenbill. */
  migrated: string[];
  counts: { customers: number; invoices: number; payments: number };
}

const holdsDatabase = (dir: string) => existsSync(join(dir, "PG_VERSION"));

/**
 * Puts the backup in the file `from` in DATA_DIR. Refuses while another process holds DATA_DIR, and when DATA_DIR holds
 * a database unless `replace`, which moves that one aside (never deletes it). DATA_DIR is locked from the
 * start to the end, made (empty, 0700) when it is not there yet, so no serve starts on it meanwhile.
 */
export async function restoreEmbeddedBackup(input: {
  /** The backup file: read as a stream, never whole. */
  from: string;
  dataDir: string;
  replace: boolean;
  now: Date;
  /** At most this many bytes unpacked; the free space beside DATA_DIR bounds it in any case. */
  maxUnpackedBytes?: number;
  /** Called with the unpacked copy before it is opened: for a test to see what the unpacking left. */
  onUnpacked?: (copy: string) => void;
}): Promise<RestoreResult> {
  const dataDir = resolve(input.dataDir);
  if (!isGzip(input.from))
    throw new ServiceError("VALIDATION", "not a tokenbill backup: the file is not gzip-compressed");
  const made = !existsSync(dataDir);
  const unlock = lockForRestore(dataDir, made);
  removeLeftRestoreCopies(dataDir);
  let staging: string | undefined;
  let restored: RestoreResult;
  try {
    if (holdsDatabase(dataDir) && !input.replace)
      throw new ServiceError(
        "CONFLICT",
        `${dataDir} already holds a database; --replace moves it aside (it is kept) and restores in its place`,
      );
    const stamp = fileStamp(input.now);
    staging = restoreCopyPath(dataDir, stamp, randomBytes(3).toString("hex"));
    // Not recursive: a directory of that name already there (made by whoever may write beside DATA_DIR) is
    // refused, not unpacked into with the mode its maker gave it.
    mkdirSync(staging, { mode: 0o700 });
    await unpack(input.from, staging, unpackBound(staging, input.maxUnpackedBytes));
    input.onUnpacked?.(staging);
    if (!holdsDatabase(staging))
      throw new ServiceError("VALIDATION", "not a tokenbill backup: it holds no database (no PG_VERSION)");
    const result = await openAndMigrate(staging);
    const replacedTo = swapIn(staging, dataDir, stamp);
    staging = undefined;
    restored = { dataDir, replacedTo, ...result };
  } catch (error) {
    // The unpacked copy holds every secret's hash: never left behind (unpack writes nothing after it fails).
    if (staging) rmSync(staging, { recursive: true, force: true });
    unlock();
    // The directory this restore made, empty again; rmdir leaves it if another process has put anything in.
    if (made) rmdirQuietly(dataDir);
    throw error;
  }
  unlock();
  return restored;
}

/** DATA_DIR locked for the restore, or the refusal that names who holds it. */
function lockForRestore(dataDir: string, made: boolean): () => void {
  ensurePrivateDir(dataDir);
  try {
    return lockDataDir(dataDir);
  } catch (error) {
    if (made) rmdirQuietly(dataDir);
    if (!(error instanceof ServiceError) || error.code !== "CONFLICT") throw error;
    throw new ServiceError(
      "CONFLICT",
      `${dataDir} is in use by tokenbill process ${liveLockOwner(dataDir) ?? "(another)"}: stop it (serve, or the command) before restoring`,
    );
  }
}

function rmdirQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // another process's by now, or not empty: left as it is
  }
}

/**
 * Puts the migrated staging directory in DATA_DIR's place, the database there (if any) moved aside. The
 * staging directory is locked first, so DATA_DIR is locked by this process as soon as it has arrived; only
 * between the two renames is the name free, and a process that takes it then makes the second fail, which
 * is reported as a lost race (a CONFLICT), never a half-restored DATA_DIR.
 */
function swapIn(staging: string, dataDir: string, stamp: string): string | undefined {
  lockDataDir(staging);
  const kept = readdirSync(dataDir).filter((name) => !name.startsWith(LOCK_FILE));
  let replacedTo: string | undefined;
  if (kept.length > 0) {
    replacedTo = `${dataDir}.replaced-${stamp}`;
    renameSync(dataDir, replacedTo);
    rmSync(join(replacedTo, LOCK_FILE), { force: true });
    rmSync(join(replacedTo, LOCK_RUN_FILE), { force: true });
  } else {
    // Empty but for this process's lock: a rename replaces an empty directory in one step.
    rmSync(join(dataDir, LOCK_FILE), { force: true });
    rmSync(join(dataDir, LOCK_RUN_FILE), { force: true });
  }
  try {
    renameSync(staging, dataDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
    throw new ServiceError(
      "CONFLICT",
      `another process took ${dataDir} while the restore was putting the backup in place; nothing was restored` +
        (replacedTo ? `, and the database that was there is in ${replacedTo}` : "") +
        ": stop that process and restore again",
    );
  }
  return replacedTo;
}

function isGzip(file: string): boolean {
  const head = Buffer.alloc(2);
  const fd = openSync(file, "r");
  try {
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    closeSync(fd);
  }
}

/**
 * How much a restore may unpack: no more than the file system beside DATA_DIR has free (more could only fail
 * half-way, and fill the disk the running database may share), nor than `max`. A gzip file's size says
 * nothing of it: a few KB may unpack to terabytes.
 */
function unpackBound(staging: string, max = Number.POSITIVE_INFINITY): UnpackBound {
  const { bavail, bsize } = statfsSync(staging);
  const free = bavail * bsize;
  return free < max
    ? { bytes: free, what: "the free space beside DATA_DIR" }
    : { bytes: max, what: "the most this restore may write" };
}

interface UnpackBound {
  bytes: number;
  what: string;
}

class UnpacksTooLarge extends Error {}

/** What tar warned of, or an entry no backup holds: the archive is refused, never half unpacked. */
class UnpackRefused extends Error {}

const MIB = 1024 * 1024;

// A backup holds files and directories only (pack-data-dir.ts; PGlite's own dump too). A symbolic or hard link
// could lead a later entry, or PGlite opening the copy (pg_wal, pg_tblspc), to write outside the staging directory.
const UNPACKED_TYPES = new Set(["File", "Directory"]);

function entryKind(type: string): string {
  if (type === "SymbolicLink") return "a symbolic link";
  if (type === "Link") return "a hard link";
  return `an entry of type ${type || "unknown"}`;
}

/**
 * The file, streamed through gunzip (zlib's, in libuv's thread pool) into tar's extractor, which pushes back
 * while it writes: memory stays flat whatever the file unpacks to, and the count stops it at the bound.
 */
async function unpack(from: string, into: string, bound: UnpackBound): Promise<void> {
  let unpacked = 0;
  const bounded = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      unpacked += chunk.byteLength;
      done(unpacked > bound.bytes ? new UnpacksTooLarge() : null, chunk);
    },
  });
  // The synchronous extractor: each chunk's files are written before the next chunk is taken, so when the
  // stream fails (an archive cut short) no write is still on its way and the staging directory can be
  // removed for good. The asynchronous one went on writing after the failure and recreated the directory
  // the clean-up had just removed (embedded-backup.test.ts, under load). Restore is a command of its own:
  // nothing else waits for its event loop.
  let readAny = false;
  const extractor: tar.UnpackSync = new tar.UnpackSync({
    cwd: into,
    // PGlite names entries from the root (/base/1/…); node-tar makes them relative to cwd, as wanted.
    // Only the data: entries are relative to the dump's root, so a runtime file is a first-level name.
    filter: (path, entry) => {
      readAny = true;
      if (!isDataEntry(path)) return false;
      if ("type" in entry && UNPACKED_TYPES.has(entry.type)) {
        // Owner-only whatever the archive says: its modes (a `./` of 0755, files of 0644 from a hand-made tar)
        // were written as they were, and the copy's files hold every secret's hash until the open tightened them.
        entry.mode = entry.type === "Directory" ? 0o700 : 0o600;
        return true;
      }
      refuse(
        `${path} is ${entryKind("type" in entry ? entry.type : "")}; a backup holds only files and directories`,
      );
      return false;
    },
    // Any warning but tar's "stripping / from an absolute path" (how PGlite names its entries) skips an entry or
    // leaves one half written, and UnpackSync never ends after one (tar 7.5: the restore hung, exit 13).
    onwarn: (code, message, data) => {
      if (code === "TAR_ENTRY_INFO") return;
      // A first header that does not read is no tar at all: said in tar's own words, as before.
      if (code === "TAR_ENTRY_INVALID")
        return refuse(
          readAny ? `a damaged entry header: ${message}` : "TAR_BAD_ARCHIVE: Unrecognized archive format",
        );
      const path = (data as { entry?: { path?: string } }).entry?.path ?? (data as { path?: string }).path;
      refuse(`${path ? `${path}: ` : ""}${message}`);
    },
  });
  function refuse(problem: string): void {
    // Aborting stops tar before the next entry, and fails the pipeline: nothing more is written.
    extractor.abort(new UnpackRefused(problem.slice(0, 200)));
  }
  try {
    await pipeline(createReadStream(from), createGunzip(), bounded, extractor);
  } catch (error) {
    if (error instanceof UnpacksTooLarge)
      throw new ServiceError(
        "VALIDATION",
        `not restored: the backup unpacks to more than ${Math.floor(bound.bytes / MIB)} MiB, ${bound.what}`,
      );
    throw new ServiceError(
      "VALIDATION",
      `not a tokenbill backup: it could not be unpacked (${(error as Error).message.slice(0, 200)})`,
    );
  }
}

async function openAndMigrate(dir: string): Promise<Omit<RestoreResult, "dataDir" | "replacedTo">> {
  let handle: Awaited<ReturnType<typeof openDatabase>>;
  try {
    handle = await openDatabase({ dataDir: dir });
  } catch (error) {
    throw new ServiceError(
      "VALIDATION",
      `the backup's database does not open: ${(error as Error).message.slice(0, 200)}`,
    );
  }
  try {
    const migrated = await migrateToLatest(handle.db);
    const count = async (table: "customer" | "invoice" | "payment") =>
      Number(
        (await sql<{ n: string }>`SELECT count(*)::text AS n FROM ${sql.table(table)}`.execute(handle.db))
          .rows[0]?.n ?? 0,
      );
    return {
      migrated,
      counts: {
        customers: await count("customer"),
        invoices: await count("invoice"),
        payments: await count("payment"),
      },
    };
  } finally {
    await handle.close();
  }
}
