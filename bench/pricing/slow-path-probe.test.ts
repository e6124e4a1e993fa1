import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  fileOffset,
  openSlowPathProbe,
  perfStatCount,
  SLOW_PATH_SYMBOL,
  type SlowPathProbe,
  slowPathProbeUnavailable,
  symbolAddress,
} from "./slow-path-probe.ts";

// The figures below are /usr/bin/node's (Node 20.20) as read on 2026-12-06: the function at 0x1530d30, in the
// code segment mapped at 0xb72000 from file offset 0x772000, so the uprobe goes at 0x1130d30.
const NM = [
  "0000000001a0f4c0 t Builtins_DefineKeyedOwnPropertyInLiteralHandler",
  `0000000001530d30 T ${SLOW_PATH_SYMBOL}`,
  "0000000000f49930 T _ZN2v88internal8baseline16BaselineCompiler36VisitDefineKeyedOwnPropertyInLiteralEv",
].join("\n");
const READELF = `
Program Headers:
  Type           Offset   VirtAddr           PhysAddr           FileSiz  MemSiz   Flg Align
  LOAD           0x000000 0x0000000000400000 0x0000000000400000 0x76e5d8 0x76e5d8 R   0x1000
  LOAD           0x772000 0x0000000000b72000 0x0000000000b72000 0x1a8bca0 0x1a8bca0 R E 0x1000
  LOAD           0x2200000 0x0000000002600000 0x0000000002600000 0x0001f1 0x0001f1 R E 0x1000
`;

describe("finding the slow path's function in the node binary", () => {
  it("reads the symbol's address from nm, and only that symbol's", () => {
    expect(symbolAddress(NM, SLOW_PATH_SYMBOL)).toBe(0x1530d30n);
    expect(symbolAddress(NM, "Runtime_DefineKeyedOwnPropertyInLiteral")).toBeUndefined();
  });

  it("turns the address into the file offset a uprobe takes", () => {
    expect(fileOffset(READELF, 0x1530d30n)).toBe(0x1130d30n);
    expect(fileOffset(READELF, 0x450000n)).toBe(0x50000n);
    expect(fileOffset(READELF, 0x3000000n)).toBeUndefined();
  });

  it("reads perf stat's count, and nothing when perf could not count", () => {
    const event = "tokenbill_bench:v8_dkop_1";
    expect(perfStatCount(`54174,,${event},2000123,100.00,,\n`, event)).toBe(54174);
    expect(perfStatCount(`<not counted>,,${event},0,0.00,,\n`, event)).toBeUndefined();
    expect(perfStatCount("12,,other:event,1,100.00,,\n", event)).toBeUndefined();
  });
});

/** Runs `script` in a node process of its own and counts its calls into the slow path's function. */
async function callsOf(probe: SlowPathProbe, script: string): Promise<number> {
  // The script starts when told, once perf counts (count calls `during` then). Until 2026-12-07 it started after
  // half a second, by which a perf not scheduled for a while had not attached: the count missed the script.
  const child = spawn(
    process.execPath,
    ["-e", `process.stdin.once("data", () => { ${script}; process.exit(0); })`],
    {
      stdio: ["pipe", "ignore", "ignore"],
    },
  );
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const { calls } = await probe.count(child.pid!, () => {
    child.stdin!.write("go\n");
    return exited;
  });
  return calls;
}

// Needs root, tracefs and perf (the bench says which is missing); skipped elsewhere. .ci/run mounts tracefs
// as root, so CI's machine (root, Debian's linux-perf) runs it.
describe.skipIf(slowPathProbeUnavailable() !== undefined)("the probe, on this machine's node", () => {
  it("counts one call a literal once its computed keys go megamorphic, and few while they do not", async () => {
    const opened = openSlowPathProbe();
    if (!("probe" in opened)) throw new Error(opened.unavailable);
    try {
      const objects = 200_000;
      // 50 symbols in turn as the literal's key: V8 gives up on the literal's feedback and calls the runtime.
      const megamorphic = await callsOf(
        opened.probe,
        `const keys = Array.from({ length: 50 }, (_, i) => Symbol(i)); let o; for (let i = 0; i < ${objects}; i++) o = { [keys[i % 50]]: i };`,
      );
      // One symbol: the feedback holds, and the runtime is called only while the code warms up.
      const monomorphic = await callsOf(
        opened.probe,
        `const key = Symbol("k"); let o; for (let i = 0; i < ${objects}; i++) o = { [key]: i };`,
      );
      expect(megamorphic).toBeGreaterThanOrEqual(objects);
      expect(monomorphic).toBeLessThan(objects / 10);
    } finally {
      opened.probe.close();
    }
  });
});
