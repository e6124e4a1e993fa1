import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

// Other processes that take DATA_DIR's lock when a test says so (lock-contender.ts): a lock taken by this
// process cannot stand for another's, since a lock naming this pid is this process's own.

export interface Contender {
  /** Tries the lock of `dir` at the instant `at` (epoch ms); resolves to "won" or "lost". */
  tryLock(dir: string, at?: number): Promise<"won" | "lost">;
  stop(): void;
}

/** Started, and ready: each has taken a lock of its own once. */
export async function startContenders(count: number): Promise<Contender[]> {
  const contenders = Array.from({ length: count }, startContender);
  const warm = mkdtempSync(join(tmpdir(), "tb-lock-warm-"));
  try {
    await Promise.all(contenders.map((c, i) => c.tryLock(join(warm, String(i)), 0)));
  } finally {
    rmSync(warm, { recursive: true, force: true });
  }
  return contenders;
}

function startContender(): Contender {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "lock-contender.ts")],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  const waiting = new Map<string, (outcome: "won" | "lost") => void>();
  createInterface({ input: child.stdout }).on("line", (line) => {
    const [outcome, dir] = line.split(" ");
    if (dir && (outcome === "won" || outcome === "lost")) waiting.get(dir)?.(outcome);
  });
  return {
    tryLock: (dir, at = Date.now()) =>
      new Promise((done) => {
        waiting.set(dir, done);
        mkdirSync(join(dir, ".."), { recursive: true });
        child.stdin.write(`${dir} ${at}\n`);
      }),
    stop: () => child.kill(),
  };
}
