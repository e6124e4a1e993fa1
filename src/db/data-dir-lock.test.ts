import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testTempDir } from "../../test/helpers/test-temp-dir.ts";
import { LOCK_FILE } from "./data-dir-lock.ts";
import { type Contender, startContenders } from "./testing/lock-contenders.ts";

// Two processes that start on one DATA_DIR at the same moment: exactly one may hold it, or both would open
// PGlite on the same files (data-dir-lock.ts). Real processes, told to try the lock within a millisecond of
// each other, many times over.

const ROUNDS = 25;
let contenders: Contender[] = [];
beforeAll(async () => {
  contenders = await startContenders(4);
});
afterAll(() => {
  for (const c of contenders) c.stop();
});

/** How many of the contenders won `dir`, all told to try at the same instant. */
async function winnersOf(dir: string): Promise<number> {
  const at = Date.now() + 150;
  const outcomes = await Promise.all(contenders.map((c) => c.tryLock(dir, at)));
  return outcomes.filter((o) => o === "won").length;
}

describe("the data directory's lock, taken by processes at once", () => {
  it("goes to exactly one of them, every time", async () => {
    const root = testTempDir("tb-lock-race-");
    const winners: number[] = [];
    for (let round = 0; round < ROUNDS; round++) winners.push(await winnersOf(join(root, String(round))));
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
      winners.push(await winnersOf(dir));
    }
    expect(winners).toEqual(Array(ROUNDS).fill(1));
  });
});
