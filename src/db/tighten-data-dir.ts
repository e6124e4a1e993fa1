import { chmodSync, lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

// The database's own files in DATA_DIR were made with the umask's modes until every tokenbill process set
// its umask to 077 (2026-12-07): 0644 files and 0755 directories, which a backup, a copy or a DATA_DIR
// loosened by hand carries to other users. Whoever takes DATA_DIR's lock walks it once and makes every path
// its owner's alone (docs/security.md, "Files").

/** How the walk's result is told: the logger's info where there is one. Only the count, never a path. */
export type ModesTightened = (message: string, details: { changed: number }) => void;

/** The words for `changed` paths made owner-only. */
export const tightenedMessage = (changed: number) =>
  `${changed} path${changed === 1 ? "" : "s"} in the data directory could be read by other users; now owner only`;

/**
 * Clears the group and other bits of every path below `dataDir` that has any (files become 0600, directories
 * 0700, as the database makes them; the owner's own bits are kept) and returns how many it changed. One lstat
 * a path, a chmod only where one is needed: 10–50 ms for the sandbox demo's 1,273 paths (41 MB), all tight or
 * all loose (2026-12-07), against the seconds PGlite takes to start.
 *
 * Symbolic links are never followed: their targets lie outside DATA_DIR, and chmod on a link changes its
 * target. A directory is tightened before it is listed, and the caller has made `dataDir` itself 0700
 * (ensurePrivateDir): so no other user can put a link in place of an entry between its lstat and its chmod.
 * Call it only while holding DATA_DIR's lock, so no other tokenbill process writes there meanwhile.
 */
export function tightenDataDir(dataDir: string): number {
  // Windows has no owner/group/other bits to fix.
  if (process.platform === "win32") return 0;
  let changed = 0;
  const walk = (dir: string) => {
    for (const name of listing(dir)) {
      const path = join(dir, name);
      const stat = lstatSync(path, { throwIfNoEntry: false });
      if (stat === undefined || stat.isSymbolicLink()) continue;
      if ((stat.mode & 0o077) !== 0) {
        chmodSync(path, stat.mode & 0o700);
        changed++;
      }
      if (stat.isDirectory()) walk(path);
    }
  };
  walk(dataDir);
  return changed;
}

/** A directory's names, or none when it went since its parent was listed. */
function listing(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}
