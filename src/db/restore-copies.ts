import { readdirSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

// A restore unpacks its backup into a copy beside DATA_DIR (`.data.restoring-<stamp>-<random>`), which
// holds every secret's hash. A restore that fails removes it; one that was killed could not, and its copy
// stayed for good (23 MB and 58 MB after two killed restores, until 2026-12-06). Whoever holds DATA_DIR's
// lock next removes them: a restore holds that lock from start to end, so none is running then.

/** The name of a restore's unpacked copy of `dataDir` (an absolute path), beside it. */
export function restoreCopyPath(dataDir: string, stamp: string, random: string): string {
  return join(dirname(dataDir), `${copyPrefix(dataDir)}${stamp}-${random}`);
}

/** Removes the copies killed restores of `dataDir` left. Call it only while holding `dataDir`'s lock. */
export function removeLeftRestoreCopies(dataDir: string): string[] {
  const parent = dirname(dataDir);
  const prefix = copyPrefix(dataDir);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return []; // a parent this user may not list: nothing of ours is found there
  }
  const removed = names.filter((name) => name.startsWith(prefix)).map((name) => join(parent, name));
  for (const path of removed) rmSync(path, { recursive: true, force: true });
  return removed;
}

function copyPrefix(dataDir: string): string {
  return `.${basename(dataDir)}.restoring-`;
}
