import { execFileSync, spawn } from "node:child_process";
import { appendFileSync, existsSync } from "node:fs";
import type { Readable, Writable } from "node:stream";

// Counts the calls a process makes into V8's Runtime_DefineKeyedOwnPropertyInLiteral, the runtime function
// behind the slow path `process.nextTick` fell into twice (docs/performance.md, "One slow path in every
// request" and "A first start's compile"). In the slow state GetTokenPricing made about 18 calls an answer;
// in the normal state none. The ratio alone could not tell the two apart on this machine, whose speed moves
// more than the slow path costs, so the benchmark prints the count when it can take it.
//
// Taking it needs a Linux uprobe: root, tracefs mounted, and `perf` (Debian's linux-perf), plus `nm` and
// `readelf` to find the function in the node binary. Without one of them the probe says which is missing
// and the benchmark goes on without the count.

/** The mangled name of the runtime function in the node binary (Node 20's V8). */
export const SLOW_PATH_SYMBOL = "_ZN2v88internal39Runtime_DefineKeyedOwnPropertyInLiteralEiPmPNS0_7IsolateE";
const TRACEFS = "/sys/kernel/tracing";
const GROUP = "tokenbill_bench";

/** A symbol's address from `nm` output, or undefined when the binary does not define it. */
export function symbolAddress(nmOutput: string, symbol: string): bigint | undefined {
  for (const line of nmOutput.split("\n")) {
    const [address, kind, name] = line.trim().split(/\s+/);
    if (name === symbol && address && /^[tT]$/.test(kind ?? "")) return BigInt(`0x${address}`);
  }
  return undefined;
}

/**
 * The file offset of a virtual address, from `readelf -lW` output: a uprobe is placed at an offset in the
 * file, and the code segment is mapped at a different address than its place in the file.
 */
export function fileOffset(readelfOutput: string, address: bigint): bigint | undefined {
  for (const line of readelfOutput.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== "LOAD") continue;
    const offset = BigInt(fields[1]!);
    const virtual = BigInt(fields[2]!);
    const size = BigInt(fields[5]!);
    if (address >= virtual && address < virtual + size) return address - virtual + offset;
  }
  return undefined;
}

/** The count of `perf stat -x,` output's line for `event`; undefined when perf could not count it. */
export function perfStatCount(perfStderr: string, event: string): number | undefined {
  for (const line of perfStderr.split("\n")) {
    const fields = line.split(",");
    if (fields[2] !== event) continue;
    return /^\d+$/.test(fields[0] ?? "") ? Number(fields[0]) : undefined;
  }
  return undefined;
}

export type SlowPathProbe = {
  /** Counts the probe's hits in process `pid` while `during` runs, which starts once perf counts. */
  count<T>(pid: number, during: () => Promise<T>): Promise<{ result: T; calls: number }>;
  /** Removes the uprobe from the kernel. */
  close(): void;
};

function has(command: string): boolean {
  try {
    execFileSync(command, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Why this machine cannot take the count, or undefined when it can. */
export function slowPathProbeUnavailable(): string | undefined {
  if (process.platform !== "linux") return "uprobes are Linux's";
  if (process.getuid?.() !== 0) return "a uprobe needs root";
  if (!existsSync(`${TRACEFS}/uprobe_events`)) {
    return `tracefs is not mounted (mount -t tracefs nodev ${TRACEFS})`;
  }
  for (const tool of ["perf", "nm", "readelf"]) {
    if (!has(tool)) return `${tool} is not installed (Debian: linux-perf, binutils)`;
  }
  return undefined;
}

/** A probe on the running node binary's slow-path function, or why there cannot be one here. */
export function openSlowPathProbe(
  binary = process.execPath,
): { probe: SlowPathProbe } | { unavailable: string } {
  const unavailable = slowPathProbeUnavailable();
  if (unavailable !== undefined) return { unavailable };
  // nm prints every symbol of a 100 MB binary: about 75,000 lines, read once.
  const nm = execFileSync("nm", ["--defined-only", binary], { encoding: "utf8", maxBuffer: 1 << 30 });
  const address = symbolAddress(nm, SLOW_PATH_SYMBOL);
  if (address === undefined) return { unavailable: `${binary} has no symbol ${SLOW_PATH_SYMBOL}` };
  const segments = execFileSync("readelf", ["-lW", binary], { encoding: "utf8" });
  const offset = fileOffset(segments, address);
  if (offset === undefined) return { unavailable: `no loaded segment of ${binary} holds the symbol` };
  // One probe name a process: two benchmarks at once would otherwise remove each other's probe.
  const name = `v8_dkop_${process.pid}`;
  appendFileSync(`${TRACEFS}/uprobe_events`, `p:${GROUP}/${name} ${binary}:0x${offset.toString(16)}\n`);
  const event = `${GROUP}:${name}`;
  return {
    probe: {
      async count(pid, during) {
        // Started with the event off (--delay=-1) and told to turn it on over a control pipe (fd 3), perf says
        // "ack" (fd 4) once it counts: only then does `during` start. Until 2026-12-07 it was given 200 ms, and a
        // perf not scheduled that long on a loaded machine attached after the work (seen with perf stopped 1 s:
        // "did not count").
        const perf = spawn(
          "perf",
          ["stat", "-x,", "-e", event, "-p", String(pid), "--delay=-1", "--control", "fd:3,4"],
          { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] },
        );
        let stderr = "";
        perf.stderr!.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        // 'close', not 'exit': perf writes its count to stderr as it ends, which may be unread at 'exit'.
        const closed = new Promise<void>((resolve) => perf.once("close", () => resolve()));
        const control = perf.stdio[3] as Writable;
        const ack = perf.stdio[4] as Readable;
        const counting = new Promise<boolean>((resolve) => {
          let said = "";
          ack.on("data", (chunk: Buffer) => {
            said += chunk.toString();
            if (said.includes("ack\n")) resolve(true);
          });
          void closed.then(() => resolve(false));
        });
        control.write("enable\n");
        if (!(await counting)) throw new Error(`perf stat ended before it counted ${event}:\n${stderr}`);
        let result: Awaited<ReturnType<typeof during>>;
        try {
          result = await during();
        } finally {
          perf.kill("SIGINT");
          await closed;
        }
        const calls = perfStatCount(stderr, event);
        if (calls === undefined) throw new Error(`perf stat did not count ${event}:\n${stderr}`);
        return { result, calls };
      },
      close() {
        appendFileSync(`${TRACEFS}/uprobe_events`, `-:${GROUP}/${name}\n`);
      },
    },
  };
}
