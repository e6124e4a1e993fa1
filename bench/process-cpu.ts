import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

// A process's CPU time as Linux's /proc tells it (user + system), for benchmarks that measure what a server
// process or the database spent beside their own process.cpuUsage().

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A process's name and its user + system CPU in ms, or undefined (exited, or no /proc here). */
export function readProcessStat(pid: number | string): { name: string; cpuMs: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state …": the name may hold spaces and parentheses, so it ends at the last ")".
  const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the name: state is field 3 of stat(5), utime 14 and stime 15, so indexes 11 and 12 here.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { name, cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
}
