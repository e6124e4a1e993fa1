import { createInterface } from "node:readline";
import { lockDataDir } from "../data-dir-lock.ts";

// A process that takes DATA_DIR locks when told (data-dir-lock.test.ts): each stdin line is "<dir> <epoch ms>";
// it waits for that instant (spinning, so contenders start within a millisecond of each other), tries the lock
// and prints "won <dir>" or "lost <dir>". Locks won are kept until the process ends.

for await (const line of createInterface({ input: process.stdin })) {
  const [dir, at] = line.split(" ");
  if (!dir || !at) continue;
  while (Date.now() < Number(at)) {
    // spin
  }
  try {
    lockDataDir(dir);
    process.stdout.write(`won ${dir}\n`);
  } catch {
    process.stdout.write(`lost ${dir}\n`);
  }
}
