import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { testTempDir } from "../../test/helpers/test-temp-dir.ts";
import { waitUntil } from "../../test/helpers/wait-until.ts";
import { LOCK_FILE, liveLockHolder } from "./data-dir-lock.ts";
import { hasEnded } from "./process-run.ts";

// A killed serve that its parent has not reaped yet is a zombie: signal 0 still reaches its pid, but it holds
// nothing. Its lock was "in use by another tokenbill process" until the parent reaped it (until 2026-12-06).

/** A shell whose background child is killed and never waited for: the child stays a zombie while it runs. */
function zombieParent() {
  const parent = spawn("sh", ["-c", "sleep 300 & echo $!; exec sleep 60"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const child = new Promise<number>((resolve) =>
    parent.stdout.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
  );
  return { parent, child };
}

const state = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
};

const { parent, child } = zombieParent();
afterAll(() => {
  parent.kill("SIGKILL");
});

describe.runIf(process.platform === "linux")("a lock held by a process that ended but was not reaped", () => {
  it("is no one's: hasEnded says so, and liveLockHolder passes over it", async () => {
    const pid = await child;
    const dir = testTempDir("tb-zombie-");
    writeFileSync(join(dir, LOCK_FILE), `${pid}\n`);
    expect(hasEnded(pid)).toBe(false);
    expect(liveLockHolder(dir)?.pid).toBe(pid);

    process.kill(pid, "SIGKILL");
    await waitUntil("the killed child to become a zombie", () => state(pid) === "Z");
    expect(() => process.kill(pid, 0)).not.toThrow(); // what the lock looked at alone
    expect(hasEnded(pid)).toBe(true);
    expect(liveLockHolder(dir)).toBeUndefined();
  });

  it("says a live process and a pid no process has are not ended", () => {
    expect(hasEnded(process.pid)).toBe(false);
    expect(hasEnded(2 ** 22 + 12_345)).toBe(false);
  });
});
