import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, type OnTestFinishedHandler, onTestFinished } from "vitest";
import { PGlite } from "@electric-sql/pglite";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { type DatabaseHandle, openDatabase } from "../../src/db/open-database.ts";
import { templateBlob } from "./test-database.ts";
import { TEMPLATE_ENV } from "./test-database-template.ts";

// The `tokenbill` command as a user runs it: a child process in an empty working directory, on a throw-away
// embedded database of its own. That database is a copy of one already migrated: a command on a new one
// runs initdb and every migration first: 7.3–7.5 s a command alone, against 2.9–3.1 s on a copy (13–17 s each
// in a full run of the suite before; 2026-12-02). Copying takes about 0.5 s and opening the copy about 1 s.

const run = promisify(execFile);
const bin = join(import.meta.dirname, "..", "..", "bin", "tokenbill.mjs");

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `tokenbill ...args`; `env` adds to (or overrides) the test process's environment. Without a DATA_DIR in
 * `env` the command gets a database of its own, thrown away after it.
 */
export async function tokenbillCommand(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  /** Ends the command (SIGTERM) if it runs longer: for a test of one that must stop by itself. */
  options: { timeoutMs?: number } = {},
): Promise<CommandResult> {
  const golden = await goldenDataDir();
  // Inside the run's template directory when there is one, which the run removes at its end even when a
  // test was cut short; a database copy is about 40 MB.
  const cwd = mkdtempSync(join(golden ? dirname(golden) : tmpdir(), "tb-command-"));
  try {
    // Without the migrated copy, an empty directory the command migrates itself: not memory://, which the
    // commands refuse (src/cli/throw-away-database.ts).
    const dataDir = join(cwd, "data");
    if (golden && env["DATA_DIR"] === undefined) cpSync(golden, dataDir, { recursive: true });
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
        env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "", ...env },
        cwd,
        ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
      });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number | null; signal?: string; stdout: string; stderr: string };
      if (err.code === null) throw new Error(`tokenbill ${args.join(" ")} did not stop (${err.signal})`);
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

export interface CommandDataDir {
  /** The DATA_DIR to give the commands. */
  dir: string;
  remove(): void;
}

/**
 * A DATA_DIR for a test whose commands (or `serve` processes) share one database: a copy of the migrated
 * one when the run has it, else an empty directory where the first of them runs initdb and the migrations.
 * Remove it when the test is done.
 */
export async function commandDataDir(): Promise<CommandDataDir> {
  const golden = await goldenDataDir();
  const root = mkdtempSync(join(golden ? dirname(golden) : tmpdir(), "tb-data-"));
  const dir = join(root, "data");
  if (golden) cpSync(golden, dir, { recursive: true });
  else mkdirSync(dir);
  return { dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * A commandDataDir removed when the current test finishes (call it in a test). A test of a `describe.concurrent`
 * passes its own context's onTestFinished: the global one, like an afterEach, may run for another test.
 */
export async function testCommandDataDir(
  whenFinished: (fn: OnTestFinishedHandler) => void = onTestFinished,
): Promise<CommandDataDir> {
  const data = await commandDataDir();
  whenFinished(() => data.remove());
  return data;
}

export interface SharedCommandDataDir {
  /** The DATA_DIR to give the commands. */
  dir: string;
  /** The database the commands reach, for a test to arrange or read what they cannot. */
  handle: DatabaseHandle;
  /** Closes the database (its socket first) and removes the directory. */
  remove(): Promise<void>;
}

/**
 * A DATA_DIR whose database this test process holds and shares over its socket, as a running `serve` does
 * (docs/ARCHITECTURE.md, "Many processes"): the commands given it connect there instead of each opening the
 * database itself. A command that opens the embedded database costs about 3.4 s on a lightly loaded machine, one that
 * connects to the socket about 1.6 s (2026-12-05). For tests of what a command says and does; a test of
 * opening the files themselves (the lock, permissions, backup, memory://) uses commandDataDir().
 */
export async function sharedCommandDataDir(): Promise<SharedCommandDataDir> {
  const data = await commandDataDir();
  const handle = await openDatabase({ dataDir: data.dir, share: true, onPermissionWarning: () => {} });
  if (!handle.socketPath) {
    await handle.close();
    data.remove();
    throw new Error(`${data.dir}: too long a path for the database's socket`);
  }
  await migrateToLatest(handle.db);
  return {
    dir: data.dir,
    handle,
    async remove() {
      await handle.close();
      data.remove();
    },
  };
}

/**
 * For a test file whose commands all share one database (sharedCommandDataDir): registers the hooks that make
 * and remove it (call at the file's top level, before hooks that use it), and runs `tokenbill ...args` on it.
 */
export function commandsOnSharedDatabase(): {
  /** The shared DATA_DIR and its handle, once the file's tests run. */
  data: () => SharedCommandDataDir;
  tokenbill: (...args: string[]) => Promise<CommandResult>;
} {
  let data: SharedCommandDataDir | undefined;
  beforeAll(async () => {
    data = await sharedCommandDataDir();
  });
  afterAll(async () => {
    await data?.remove();
  });
  const held = () => {
    if (!data) throw new Error("the shared database is made in beforeAll: use it inside a test or hook");
    return data;
  };
  return { data: held, tokenbill: (...args) => tokenbillCommand(args, { DATA_DIR: held().dir }) };
}

/**
 * A migrated embedded database on disk, made once per worker from the run's migrated dump
 * (test-database-template.ts) in the dump's directory. Without a dump (DATABASE_URL was set when the run
 * started), undefined: commands then start on an empty directory.
 */
let golden: { template: string; dir: Promise<string> } | undefined;
async function goldenDataDir(): Promise<string | undefined> {
  const template = process.env[TEMPLATE_ENV];
  if (!template) return undefined;
  if (golden?.template !== template) golden = { template, dir: makeGolden(template) };
  return golden.dir;
}

async function makeGolden(template: string): Promise<string> {
  const dir = mkdtempSync(join(dirname(template), "golden-data-"));
  const client = await PGlite.create({ dataDir: dir, loadDataDir: await templateBlob(template) });
  await client.close();
  return dir;
}
