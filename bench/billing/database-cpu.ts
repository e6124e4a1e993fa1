import { readdirSync, readFileSync } from "node:fs";
import { readProcessStat } from "../process-cpu.ts";

// The CPU time PostgreSQL's processes use during a run, read from /proc: what the database itself spent,
// beside Node's own (process.cpuUsage). Only meaningful when the database runs on this machine and nothing
// else uses it meanwhile, as in the benchmark; elsewhere it is not measured.

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

export interface Reading {
  cpuMs: number;
  /** Undefined when the process's title could not be read (see processKind). */
  backend: boolean | undefined;
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
    for (const [pid, reading] of readAll()) meter.first.set(pid, reading.cpuMs);
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
    const used = { backends: 0, background: 0 };
    for (const [pid, reading] of this.last) {
      const ms = reading.cpuMs - (this.first.get(pid) ?? 0);
      if (reading.backend) used.backends += ms;
      else used.background += ms;
    }
    return used;
  }

  private sample(): void {
    for (const [pid, reading] of readAll()) this.last.set(pid, laterReading(this.last.get(pid), reading));
  }
}

/** Every process named `postgres` alive now: its user and system CPU in ms, and whether it is a backend. */
function readAll(): Map<string, Reading> {
  const readings = new Map<string, Reading>();
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = readProcessStat(pid);
    if (stat?.name !== "postgres") continue;
    let title: string;
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch {
      continue; // exited meanwhile
    }
    readings.set(pid, { cpuMs: stat.cpuMs, backend: processKind(title) });
  }
  return readings;
}

/**
 * Whether a PostgreSQL process is a backend (a connection), from its title; undefined for an empty title. A
 * process that has exited and is not yet reaped (a zombie) keeps its CPU time in /proc but has no command
 * line: read then, a connection the pool had just closed counted as a background process with all its CPU.
 * Most likely what split a 100,000-customer run of 2026-12-02 07:29 UTC into 11.9 s of connections and 7.1 s
 * of "checkpointer and writers", where other runs gave about 18 s and 0.4 s with the same total.
 */
export function processKind(title: string): boolean | undefined {
  if (title.trim() === "") return undefined;
  return title.startsWith("postgres:") && !BACKGROUND.test(title);
}

/** A process's newest reading, keeping the kind an earlier reading knew when this one could not tell. */
export function laterReading(before: Reading | undefined, next: Reading): Reading {
  return next.backend === undefined && before !== undefined ? { ...next, backend: before.backend } : next;
}

// A backend's title (`postgres: <cluster:> user database client …`) names its connection; the background
// processes' titles name them (checkpointer, background writer, walwriter, …).
const BACKGROUND =
  /: (checkpointer|background writer|walwriter|autovacuum|logical replication|stats|archiver)/;
