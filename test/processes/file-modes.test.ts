import { spawn } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as tar from "tar";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../helpers/test-temp-dir.ts";
import { waitBudget, waitUntil } from "../helpers/wait-until.ts";
import { endChild, type WatchedChild, watchChild } from "../helpers/watch-child.ts";

// Every file tokenbill writes holds a secret or customer data: the embedded database's own files, the admin
// key, the sandbox's logins and tokens, a backup, a restored copy. Each must be its owner's alone whatever the
// umask it was started with: the usual 022 and a careless 000 (a container's default, a service unit's
// `UMask=0000`). Run as an operator runs it: `tokenbill serve` (on a new embedded database, the sandbox, which
// writes every secret file), then `database backup` and `database restore`, each a process of its own.

const BIN = join(import.meta.dirname, "..", "..", "bin", "tokenbill.mjs");
const SANDBOX_FILES = ["admin-api-key", "sandbox.json", "sandbox-logins.json", "sandbox-emulator.json"];

/** `tokenbill …args` started under `umask`, with only the environment given (no DATABASE_URL of the runner's). */
function tokenbill(umask: string, args: string[], env: Record<string, string>): WatchedChild {
  const command = `umask ${umask} && exec "${process.execPath}" "${BIN}" ${args.map((a) => `"${a}"`).join(" ")}`;
  return watchChild(
    spawn("/bin/sh", ["-c", command], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", LOG_FORMAT: "json", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
}

/** Runs a command to its end; rejects with its whole output when it fails. */
async function run(umask: string, args: string[], env: Record<string, string>): Promise<void> {
  const command = tokenbill(umask, args, env);
  const end = await command.ended;
  if (end.code !== 0) {
    throw new Error(`tokenbill ${args.join(" ")} ended ${end.signal ?? end.code}: ${command.output()}`);
  }
}

/**
 * Every path under `root` (itself included) that its group or others may read, write or enter, with its mode.
 * Walked while `serve` runs, a file may go between its directory's listing and its own look (the emulator
 * writes its state to `name.<pid>.tmp` and renames it over `name`): one gone is not left behind, so it is skipped.
 */
function openToOthers(root: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return;
    if ((stat.mode & 0o077) !== 0) found.push(`${path} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) for (const name of listing(path)) walk(join(path, name));
  };
  walk(root);
  return found;
}

/** A directory's names, or none when the directory itself went since its parent was listed. */
function listing(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/**
 * The waits' one ceiling: serve starts on a new embedded database (initdb, every migration, the sandbox), which
 * took over 50 s on a loaded two-core machine (2026-12-07, load 20). The test's timeout leaves the last wait
 * the time to fail with its own message.
 */
const BUDGET_MS = 150_000;

describe.each(["022", "000"])("under umask %s", (umask) => {
  it("serve, a backup and a restore leave nothing that others may read", {
    timeout: BUDGET_MS + 60_000,
  }, async () => {
    const left = waitBudget(BUDGET_MS);
    const home = testTempDir("tb-file-modes-");
    const dataDir = join(home, "srv", "data");
    const serve = tokenbill(umask, ["serve"], { DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1" });
    try {
      // Its output as it was when the wait gave up (until 2026-12-07 the message held it as it was before the
      // wait: nothing).
      await waitUntil(
        () => `serve's start (${serve.output().slice(-500)})`,
        () => /"pricing"/.test(serve.output()) || serve.end(),
        left(),
      );
      expect(serve.end(), serve.output().slice(-2000)).toBeUndefined();
      await waitUntil(
        "the sandbox's files",
        () => SANDBOX_FILES.every((f) => existsSync(join(dataDir, f))),
        left(),
      );
      expect(openToOthers(join(home, "srv"))).toEqual([]);
    } finally {
      await endChild(serve, "SIGTERM");
    }
    const key = readFileSync(join(dataDir, "admin-api-key"), "utf8").trim();
    // All serve wrote, to its last line at the stop: read once its pipes closed, not at "exit".
    expect(serve.output()).not.toContain(key);

    const backup = join(home, "backup.tar.gz");
    await run(umask, ["database", "backup", "--out", backup], { DATA_DIR: dataDir });
    const restored = join(home, "restored", "data");
    await run(umask, ["database", "restore", "--from", backup], { DATA_DIR: restored });

    // The home is mkdtemp's (0700): everything in it is what tokenbill made.
    expect(readdirSync(home).sort()).toEqual(["backup.tar.gz", "restored", "srv"]);
    expect(openToOthers(join(home, "srv"))).toEqual([]);
    expect(openToOthers(backup)).toEqual([]);
    expect(openToOthers(join(home, "restored"))).toEqual([]);
    expect(readdirSync(restored)).toContain("PG_VERSION");
    // Unpacked by hand (`tar xpf`, or as root), the backup's entries keep their modes.
    const entries: string[] = [];
    await tar.t({
      file: backup,
      onReadEntry: (e) => void ((e.mode ?? 0) & 0o077 ? entries.push(`${e.path} ${e.mode?.toString(8)}`) : 0),
    });
    expect(entries).toEqual([]);
  });
});
