import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ServiceError } from "../errors.ts";

// PGlite keeps the database in the memory of one process and writes it back to DATA_DIR: a second process
// opening the same directory would not see the first one's changes and could overwrite them. A lock file
// with the owner's pid turns that into a clear refusal. (PostgreSQL via DATABASE_URL has no such limit.)

const LOCK = ".tokenbill.lock";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK);
  try {
    const owner = Number(readFileSync(path, "utf8").trim());
    if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
      throw new ServiceError(
        "CONFLICT",
        `the embedded database in ${dataDir} is in use by another tokenbill process (pid ${owner}). ` +
          "PGlite serves one process at a time: stop that process first, use the admin API it serves, " +
          "or use PostgreSQL (DATABASE_URL) to run several processes.",
      );
    }
  } catch (e) {
    if (e instanceof ServiceError) throw e;
    // no lock file, or an unreadable one: take it
  }
  writeFileSync(path, String(process.pid));
  return () => rmSync(path, { force: true });
}
