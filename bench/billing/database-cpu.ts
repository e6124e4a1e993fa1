import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

// The CPU time PostgreSQL's processes use during a run, read from /proc: what the database itself spent,
// beside Node's own (process.cpuUsage). Only meaningful when the database runs on this machine and nothing
// else uses it meanwhile, as in the benchmark; elsewhere it is not measured.

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

// A process's time is lost when it exits (the pool closes idle connections), so every process is read this
// often and its last reading kept: an exiting one loses at most this much.
const SAMPLE_MS = 200;

/** Whether the database URL names this machine (loopback or a local socket). */
export function databaseIsLocal(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "" || host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

/** CPU in ms of PostgreSQL's processes: the backends (connections), and the rest (checkpointer, writers). */
export interface PostgresCpu {
  backends: number;
  background: number;
}

interface Reading {
  ticks: number;
  backend: boolean;
}

/** Measures PostgreSQL's CPU from start() to stop(). */
export class PostgresCpuMeter {
  private readonly first = new Map<string, number>();
  private readonly last = new Map<string, Reading>();
  private timer: NodeJS.Timeout | undefined;

  /** Undefined where /proc cannot be read (not Linux). */
  static start(): PostgresCpuMeter | undefined {
    if (process.platform !== "linux") return undefined;
    const meter = new PostgresCpuMeter();
    for (const [pid, reading] of readAll()) meter.first.set(pid, reading.ticks);
    meter.sample();
    meter.timer = setInterval(() => meter.sample(), SAMPLE_MS);
    meter.timer.unref();
    return meter;
  }

  stop(): PostgresCpu {
    clearInterval(this.timer);
    return this.read();
  }

  /** What was used since start(), read now. */
  read(): PostgresCpu {
    this.sample();
    const ticks = { backends: 0, background: 0 };
    for (const [pid, reading] of this.last) {
      const used = reading.ticks - (this.first.get(pid) ?? 0);
      if (reading.backend) ticks.backends += used;
      else ticks.background += used;
    }
    return {
      backends: (ticks.backends * 1000) / TICKS_PER_SECOND,
      background: (ticks.background * 1000) / TICKS_PER_SECOND,
    };
  }

  private sample(): void {
    for (const [pid, reading] of readAll()) this.last.set(pid, reading);
  }
}

/** Every process named `postgres` alive now: its user and system CPU in ticks, and whether it is a backend. */
function readAll(): Map<string, Reading> {
  const readings = new Map<string, Reading>();
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    let title: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // "pid (comm) state …": the name may hold spaces and parentheses, so it ends at the last ")".
      if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) !== "postgres") continue;
      title = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch {
      continue; // exited meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the name: state is field 3 of stat(5), utime 14 and stime 15, so indexes 11 and 12 here.
    const ticks = Number(fields[11]) + Number(fields[12]);
    readings.set(pid, { ticks, backend: title.startsWith("postgres:") && !BACKGROUND.test(title) });
  }
  return readings;
}

// A backend's title (`postgres: <cluster:> user database client …`) names its connection; the background
// processes' titles name them (checkpointer, background writer, walwriter, …).
const BACKGROUND =
  /: (checkpointer|background writer|walwriter|autovacuum|logical replication|stats|archiver)/;
