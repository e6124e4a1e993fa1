import { mkdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { lockDataDir } from "../data-dir-lock.ts";

// A process that takes DATA_DIR locks when told (lock-contenders.ts starts it): each stdin line is
// "<dir> <epoch ms>"; it waits for that instant (spinning, so contenders start within a millisecond of each
// other), makes the directory if it is missing and locks it, as `serve` does (open-database.ts), and prints
// "won <dir>" or "lost <dir>". Locks won are kept until the process ends.

for await (const line of createInterface({ input: process.stdin })) {
  const [dir, at] = line.split(" ");
  if (!dir || !at) continue;
  while (Date.now() < Number(at)) {
    // spin
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    lockDataDir(dir);
    process.stdout.write(`won ${dir}\n`);
  } catch {
    process.stdout.write(`lost ${dir}\n`);
  }
}
