import { spawn } from "node:child_process";
import { closeSync, existsSync, ftruncateSync, openSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CommandDataDir, testCommandDataDir } from "../../test/helpers/tokenbill-command.ts";
import { waitUntil } from "../../test/helpers/wait-until.ts";
import { endChild, type WatchedChild, watchChild } from "../../test/helpers/watch-child.ts";

// `tokenbill database backup --out FILE` stopped with Ctrl-C or SIGTERM while it writes: the partial file it
// streams into (FILE.partial-<pid>) is removed, FILE is not made, and the exit code says which signal.

const bin = join(import.meta.dirname, "..", "..", "bin", "tokenbill.mjs");

/**
 * A DATA_DIR whose backup takes long enough to be interrupted mid-write: beside the database, a sparse file of
 * 2 GiB of zeros, which costs no disk yet has to be read and compressed whole (tar takes any file there).
 */
async function slowToBackUp(): Promise<CommandDataDir> {
  const data = await testCommandDataDir();
  const fd = openSync(join(data.dir, "filler"), "wx");
  ftruncateSync(fd, 2 * 1024 ** 3);
  closeSync(fd);
  return data;
}

/**
 * Waits for the backup's partial file, within waitUntil's ceiling (under the test's timeout), failing with the
 * path and what the command wrote so far (and ending it); fails at once if the command ends first.
 */
async function whenExists(path: string, backup: WatchedChild): Promise<void> {
  try {
    await waitUntil(
      () => `${path} to exist (the command wrote: ${JSON.stringify(backup.output().slice(-2000))})`,
      () => {
        if (existsSync(path)) return true;
        const end = backup.end();
        if (end)
          throw new Error(
            `the command ended (${end.signal ?? end.code}) before ${path} existed: ${end.stderr}`,
          );
        return false;
      },
    );
  } catch (error) {
    // Else the backup of 2 GiB runs on after the failed test (seen when the wait was given up on).
    await endChild(backup, "SIGKILL");
    throw error;
  }
}

describe("tokenbill database backup, interrupted", () => {
  // A process that opens an embedded database: seconds on a busy machine.
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("on %s removes its partial file and exits %i", { timeout: 120_000 }, async (signal, code) => {
    const data = await slowToBackUp();
    const out = join(data.dir, "..", "backup.tar.gz");
    const backup = watchChild(
      spawn(process.execPath, [bin, "database", "backup", "--out", out], {
        env: { ...process.env, DATA_DIR: data.dir, DATABASE_URL: "" },
        cwd: join(data.dir, ".."),
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    const partial = `${out}.partial-${backup.child.pid}`;
    await whenExists(partial, backup);
    // Its stderr read once whole ("close"): the line asserted on is the last thing it writes before exiting.
    const ended = await endChild(backup, signal);

    // Before, the process died of the signal (no exit code) and left the partial file behind.
    expect({ code: ended.code, signal: ended.signal }, ended.stderr).toEqual({ code, signal: null });
    expect(ended.stderr).toBe(`backup interrupted (${signal}): ${out} was not written\n`);
    expect(readdirSync(join(data.dir, "..")).filter((f) => f.startsWith("backup.tar.gz"))).toEqual([]);
  });
});
