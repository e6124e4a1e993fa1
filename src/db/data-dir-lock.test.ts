import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testTempDir } from "../../test/helpers/test-temp-dir.ts";
import { LOCK_FILE } from "./data-dir-lock.ts";

// Two processes that start on one DATA_DIR at the same moment: exactly one may hold it, or both would open
// PGlite on the same files (data-dir-lock.ts). Real processes, told to try the lock within a millisecond of
// each other, many times over.

const CONTENDERS = 4;
const ROUNDS = 25;

interface Contender {
  child: ChildProcessWithoutNullStreams;
  said: Map<string, string>;
  waiting: Map<string, () => void>;
}

function startContender(): Contender {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "testing/lock-contender.ts")],
    {
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  const contender: Contender = { child, said: new Map(), waiting: new Map() };
  createInterface({ input: child.stdout }).on("line", (line) => {
    const [outcome, dir] = line.split(" ");
    if (!outcome || !dir) return;
    contender.said.set(dir, outcome);
    contender.waiting.get(dir)?.();
  });
  return contender;
}

function outcome(contender: Contender, dir: string): Promise<string> {
  const said = contender.said.get(dir);
  if (said) return Promise.resolve(said);
  return new Promise((done) => contender.waiting.set(dir, () => done(contender.said.get(dir)!)));
}

/** Each contender's outcome for `dir`, all told to try at the same instant. */
async function race(contenders: Contender[], dir: string): Promise<string[]> {
  const at = Date.now() + 150;
  for (const c of contenders) c.child.stdin.write(`${dir} ${at}\n`);
  return Promise.all(contenders.map((c) => outcome(c, dir)));
}

let contenders: Contender[] = [];
let warmRoot: string;
beforeAll(async () => {
  contenders = Array.from({ length: CONTENDERS }, startContender);
  // Each is ready once it has answered one round of its own.
  warmRoot = mkdtempSync(join(tmpdir(), "tb-lock-warm-"));
  const root = warmRoot;
  await Promise.all(
    contenders.map((c, i) => {
      const dir = join(root, `warm-${i}`);
      mkdirSync(dir);
      c.child.stdin.write(`${dir} 0\n`);
      return outcome(c, dir);
    }),
  );
});
afterAll(() => {
  for (const c of contenders) c.child.kill();
  rmSync(warmRoot, { recursive: true, force: true });
});

describe("the data directory's lock, taken by processes at once", () => {
  it("goes to exactly one of them, every time", async () => {
    const root = testTempDir("tb-lock-race-");
    const winners: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const dir = join(root, String(round));
      mkdirSync(dir);
      const outcomes = await race(contenders, dir);
      winners.push(outcomes.filter((o) => o === "won").length);
    }
    expect(winners).toEqual(Array(ROUNDS).fill(1));
  });

  it("goes to exactly one of them when they all take over a stale lock", async () => {
    const root = testTempDir("tb-lock-stale-");
    const winners: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const dir = join(root, String(round));
      mkdirSync(dir);
      // A pid no process has: the lock of a process that was killed.
      writeFileSync(join(dir, LOCK_FILE), "999999999", { mode: 0o600 });
      const outcomes = await race(contenders, dir);
      winners.push(outcomes.filter((o) => o === "won").length);
    }
    expect(winners).toEqual(Array(ROUNDS).fill(1));
  });
});
