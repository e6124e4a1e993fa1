import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ServiceError } from "../kernel/errors.ts";

// The embedded data directory (DATA_DIR): who may read it, and who may use it.
//
// It holds the database and key files (admin-api-key, sandbox.json, sandbox-emulator.json), so the directory
// is 0700 and every secret file 0600: readable by the owner only. A directory or file found looser (made by
// an older version, or copied) is tightened at start with a warning.
//
// PGlite keeps the database in the memory of one process and writes it back to DATA_DIR: a second process
// opening the same directory would not see the first one's changes and could overwrite them. A lock file
// with the owner's pid says who has it: a CLI then connects to a `serve` owner's socket
// (pglite-socket-server.ts) and refuses any other owner clearly. (PostgreSQL via DATABASE_URL has no limit.)

export const LOCK_FILE = ".tokenbill.lock";

/** How a tightened permission is reported: the logger where there is one. */
export type PermissionWarning = (message: string, details: { path: string; mode: string }) => void;

/** Without a logger at hand, Node's own warning channel (stderr). */
export const warnOnStderr: PermissionWarning = (message, details) =>
  process.emitWarning(`${message} (${details.path}, was ${details.mode})`);

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, "0");

/** Sets `mode` when the path exists with any permission for group or others; true when it did. */
function tighten(path: string, mode: number, what: string, warn: PermissionWarning): boolean {
  // Windows has no owner/group/other bits to fix.
  if (process.platform === "win32") return false;
  let current: number;
  try {
    current = statSync(path).mode;
  } catch {
    return false; // not there (yet)
  }
  if ((current & 0o077) === 0) return false;
  chmodSync(path, mode);
  warn(`${what} was readable by other users; now ${octal(mode)} (owner only)`, {
    path,
    mode: octal(current),
  });
  return true;
}

/** Creates the directory 0700 (with its parents), or tightens an existing one to 0700. */
export function ensurePrivateDir(dir: string, warn: PermissionWarning = warnOnStderr): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir, 0o700, "the data directory", warn);
}

/** Tightens an existing secret file to 0600; a missing file is left alone. */
export function ensurePrivateFile(path: string, warn: PermissionWarning = warnOnStderr): void {
  tighten(path, 0o600, "a file holding a secret", warn);
}

/** Writes a secret file readable by its owner only, whether it is new or was there with looser bits. */
export function writePrivateFile(path: string, data: string, warn: PermissionWarning = warnOnStderr): void {
  // Tightened before the new secret is written into it, so it is never readable by others with it.
  ensurePrivateFile(path, warn);
  writeFileSync(path, data, { mode: 0o600 });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid of another live tokenbill process holding the directory's lock, if any. */
export function liveLockOwner(dataDir: string): number | undefined {
  try {
    const owner = Number(readFileSync(join(dataDir, LOCK_FILE), "utf8").trim());
    if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) return owner;
  } catch {
    // no lock file, or an unreadable one: nobody holds it
  }
  return undefined;
}

export function lockDataDir(dataDir: string): () => void {
  const owner = liveLockOwner(dataDir);
  if (owner !== undefined) {
    throw new ServiceError(
      "CONFLICT",
      `the embedded database in ${dataDir} is in use by another tokenbill process (pid ${owner}) that does ` +
        "not share it (yet): a `serve` shares it over a socket once it has started, so try again in a moment; " +
        "any other command holds it until it ends. Or use PostgreSQL (DATABASE_URL) to run several processes.",
    );
  }
  writeFileSync(join(dataDir, LOCK_FILE), String(process.pid), { mode: 0o600 });
  return () => rmSync(join(dataDir, LOCK_FILE), { force: true });
}
