import { readFileSync } from "node:fs";

// Which run of a process a pid names. A pid is used again once its process has ended: a container that
// restarts gives its processes the same small pids, so a lock left by a killed tokenbill may name a live
// process that is not tokenbill at all. The boot and the kernel's start time of the process tell them apart,
// and unlike the wall clock neither moves when the clock is set.

/** "<boot id>:<start time in clock ticks after boot>" on Linux; undefined where /proc does not say. */
export function processRun(pid: number): string | undefined {
  try {
    const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const startTicks = fields[19]; // field 22, starttime
    if (!bootId || !startTicks || !/^\d+$/.test(startTicks)) return undefined;
    return `${bootId}:${startTicks}`;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a process that has ended but not been reaped yet (a zombie, state Z, or dead, X, in
 * /proc/<pid>/stat): signal 0 still reaches it, but it runs nothing and holds nothing. A supervisor or a
 * container's init that reaps late left a killed serve's lock "in use" for that while (until 2026-12-06).
 * False where /proc does not say.
 */
export function hasEnded(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state === "Z" || state === "X";
  } catch {
    return false;
  }
}
