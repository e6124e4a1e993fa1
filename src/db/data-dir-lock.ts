import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ServiceError } from "../kernel/errors.ts";
import { MAX_SOCKET_PATH, socketPathOf } from "./pglite-socket-server.ts";
import { hasEnded, processRun } from "./process-run.ts";

// The embedded data directory (DATA_DIR): who may read it, and who may use it.
//
// It holds the database and key files (admin-api-key, sandbox.json, sandbox-emulator.json), so the directory
// is 0700 and every secret file 0600: readable by the owner only. A directory or file found looser (made by
// an older version, or copied) is tightened at start with a warning.
//
// PGlite keeps the database in the memory of one process and writes it back to DATA_DIR: a second process
// opening the same directory would not see the first one's changes and could overwrite them. A lock file
// with the owner's pid says who has it: a CLI then connects to a `serve` owner's socket
// (pglite-socket-server.ts) and refuses any other owner clearly, with advice that fits who is refused and
// why. (PostgreSQL via DATABASE_URL has no limit.)

export const LOCK_FILE = ".tokenbill.lock";
/**
 * Beside the lock: which run of the holder's pid it is (process-run.ts), so that a pid used again by another
 * process is not taken for the holder. Its own file: the lock stays a bare pid, as every version reads it.
 */
export const LOCK_RUN_FILE = ".tokenbill.lock-run";

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

/**
 * The files beside the database that hold secrets: the admin key, the sandbox's logins, what it tells the
 * commands and its emulator's state (with the emulator's API tokens).
 */
export const SECRET_FILES = [
  "admin-api-key",
  "sandbox-logins.json",
  "sandbox.json",
  "sandbox-emulator.json",
] as const;

/**
 * The data directory made private as ensurePrivateDir does, and the secret files in it tightened to 0600: by
 * every process that opens it, so a command run after a `chmod 644` tightens them too (until 2026-12-06 only
 * `serve`'s start did, and a command tightened the directory and left the key file readable).
 */
export function ensurePrivateDataDir(dir: string, warn: PermissionWarning = warnOnStderr): void {
  ensurePrivateDir(dir, warn);
  for (const name of SECRET_FILES) ensurePrivateFile(join(dir, name), warn);
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
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return !hasEnded(pid);
}

function readLockPid(dataDir: string): number | undefined {
  try {
    const owner = Number(readFileSync(join(dataDir, LOCK_FILE), "utf8").trim());
    return Number.isInteger(owner) && owner > 0 ? owner : undefined;
  } catch {
    return undefined; // no lock file, or an unreadable one: nobody holds it
  }
}

/** The run recorded for `pid`; undefined when none is, or the one there is another pid's (an older writer). */
function readLockRun(dataDir: string, pid: number): string | undefined {
  try {
    const [forPid, run] = readFileSync(join(dataDir, LOCK_RUN_FILE), "utf8").trim().split(" ");
    return forPid === String(pid) && run ? run : undefined;
  } catch {
    return undefined;
  }
}

export interface LockHolder {
  pid: number;
  /** The run the lock recorded is the one alive now; false where that cannot be told (not Linux, older lock). */
  confirmed: boolean;
}

/** The pid of another live tokenbill process holding the directory's lock, if any. */
export function liveLockOwner(dataDir: string): number | undefined {
  return liveLockHolder(dataDir)?.pid;
}

/** Another live tokenbill process holding the directory's lock, if any. */
export function liveLockHolder(dataDir: string): LockHolder | undefined {
  const pid = readLockPid(dataDir);
  if (pid === undefined || pid === process.pid || !alive(pid)) return undefined;
  const recorded = readLockRun(dataDir, pid);
  const actual = recorded === undefined ? undefined : processRun(pid);
  // Alive, but another run of that pid: the holder died and left its lock (a killed serve, a restarted
  // container). Before, that lock was "in use by another tokenbill process" for as long as the pid lived.
  if (recorded !== undefined && actual !== undefined && actual !== recorded) return undefined;
  return { pid, confirmed: actual !== undefined };
}

/**
 * Without a recorded run (a lock of an older tokenbill, a system without /proc) the pid may be a stranger's
 * that only looks like the holder: say how to tell, and what to do then.
 */
export function staleLockHint(dataDir: string, holder: LockHolder): string {
  if (holder.confirmed) return "";
  return (
    ` If pid ${holder.pid} is not tokenbill (its pid was used again after tokenbill was killed), the lock is ` +
    `stale: delete ${join(dataDir, LOCK_FILE)}.`
  );
}

/** Who is refused, for the advice: a `serve` never gets in beside another; a command may, through its socket. */
export type LockSeeker = "serve" | "command";

/** Why a process may not take the directory, and what to do about it: true for each kind of holder. */
function heldAdvice(dataDir: string, holder: LockHolder, seeker: LockSeeker): string {
  const held = `the embedded database in ${dataDir} is in use by another tokenbill process (pid ${holder.pid})`;
  const postgres = "Or use PostgreSQL (DATABASE_URL) to run several processes.";
  const unsure = staleLockHint(dataDir, holder);
  if (seeker === "serve")
    return `${held}: only one serve may run on it, and it is not shared with a second one; stop that process first, or give this serve another DATA_DIR. ${postgres}${unsure}`;
  const socketBytes = Buffer.byteLength(socketPathOf(dataDir));
  if (socketBytes > MAX_SOCKET_PATH)
    return (
      `${held}, and DATA_DIR's path is too long (${socketBytes} bytes with the socket's name, at most ` +
      `${MAX_SOCKET_PATH}) for the socket a serve shares it on: if that process is serve, use its admin API ` +
      "(/api/v1) while it runs, or move DATA_DIR to a shorter path; any other command holds it until it ends. " +
      `${postgres}${unsure}`
    );
  return (
    `${held} that does not share it (yet): a \`serve\` shares it over a socket once it has started, so try ` +
    `again in a moment; any other command holds it until it ends. ${postgres}${unsure}`
  );
}

/**
 * Taken by creating the lock file where none is (a link, which fails when the name exists), inside a mutex
 * (TAKEOVER_DIR, made with mkdir) that every taker holds in turn: finding a lock stale (its holder dead, or its
 * pid another run now), removing it and making one's own happen with no other taker in between, so of processes
 * that start at once, or take over a stale lock at once, exactly one gets it.
 */
export function lockDataDir(dataDir: string, seeker: LockSeeker = "command"): () => void {
  const lock = join(dataDir, LOCK_FILE);
  // Taking, and taking over, happen one process at a time: a stale lock removed outside the mutex could be a
  // fresh one another process had just made (two winners, seen once in 25 rounds of the test).
  underTakeover(dataDir, () => {
    if (!createLock(lock)) {
      const holder = liveLockHolder(dataDir);
      if (holder !== undefined) throw new ServiceError("CONFLICT", heldAdvice(dataDir, holder, seeker));
      rmSync(lock, { force: true });
      rmSync(join(dataDir, LOCK_RUN_FILE), { force: true });
      if (!createLock(lock))
        throw new ServiceError(
          "CONFLICT",
          `the lock of ${dataDir} keeps changing hands: another process is starting on it; try again in a moment`,
        );
    }
    // The run, still inside the mutex, so the next process never reads it half written. Until it is there a
    // reader finds no run for this pid, and takes the lock for held.
    const run = processRun(process.pid);
    if (run) writeFileSync(join(dataDir, LOCK_RUN_FILE), `${process.pid} ${run}`, { mode: 0o600 });
  });
  return () => {
    // Only while it is still this process's: a restore that lost DATA_DIR to another process leaves its lock.
    if (readLockPid(dataDir) !== process.pid) return;
    rmSync(lock, { force: true });
    rmSync(join(dataDir, LOCK_RUN_FILE), { force: true });
  };
}

/** The mutex of taking the lock: made with mkdir, which fails when it exists. */
export const TAKEOVER_DIR = ".tokenbill.lock-takeover";
/** 5 ms apart: about 2 s for processes that start at once to take their turns. */
const MAX_TAKEOVER_ATTEMPTS = 400;
/** A turn takes well under a second: one older than this was left by a process killed in it. */
const STALE_TAKEOVER_MS = 10_000;

function underTakeover(dataDir: string, take: () => void): void {
  const takeover = join(dataDir, TAKEOVER_DIR);
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(takeover);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (attempt >= MAX_TAKEOVER_ATTEMPTS)
        throw new ServiceError(
          "CONFLICT",
          `the lock of ${dataDir} keeps changing hands: another process is starting on it; try again in a moment`,
        );
      leftByTheDead(takeover);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
  try {
    take();
  } finally {
    rmSync(takeover, { recursive: true, force: true });
  }
}

/**
 * Written whole beside the lock, then linked to its name: link fails when the name exists, and a reader never
 * finds the lock empty (a `wx` create would show it empty until written).
 */
function createLock(lock: string): boolean {
  const mine = `${lock}.${process.pid}`;
  writeFileSync(mine, String(process.pid), { mode: 0o600 });
  try {
    linkSync(mine, lock);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(mine, { force: true });
  }
}

function leftByTheDead(takeover: string): void {
  try {
    if (Date.now() - statSync(takeover).mtimeMs > STALE_TAKEOVER_MS)
      rmSync(takeover, { recursive: true, force: true });
  } catch {
    // gone meanwhile
  }
}
