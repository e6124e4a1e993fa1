import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readProcessStat } from "./process-cpu.ts";

// The benchmarks read a server's and the database's CPU from /proc (Linux only): the figures they print are
// only as right as this reading.
describe.runIf(process.platform === "linux")("readProcessStat", () => {
  it("reads this process's name and a CPU time that grows with work done", () => {
    const before = readProcessStat(process.pid)!;
    expect(before.name).toBe(readFileSync("/proc/self/comm", "utf8").trim());
    const started = process.cpuUsage();
    let x = 0;
    while (process.cpuUsage(started).user < 300_000) x += Math.sqrt(x + 1);
    const after = readProcessStat(String(process.pid))!;
    // 300 ms of user time on this thread; /proc counts in ticks (10 ms here), so allow one tick each way.
    expect(after.cpuMs - before.cpuMs).toBeGreaterThanOrEqual(280);
    expect(x).toBeGreaterThan(0);
  });

  it("answers undefined for a process that does not exist", () => {
    expect(readProcessStat(2 ** 31 - 1)).toBeUndefined();
  });
});
