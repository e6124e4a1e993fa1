import { chmodSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { testCommandDataDir } from "../../test/helpers/tokenbill-command.ts";
import { parseConfig } from "../config.ts";
import { openDatabase } from "../db/open-database.ts";
import { openMigratedDatabase } from "./database.ts";

// An embedded database made by a version before the umask of 077 kept its files 0644 and its directories 0755
// inside the 0700 DATA_DIR. Opening it as serve and every command do makes each owner-only, says how many in
// one info line, and follows no symbolic link out of DATA_DIR. Modes are read back from the file system.

/** A path's permission bits; 0 for one PGlite removed since (a WAL segment a checkpoint let go, say). */
const modeOf = (path: string) => (lstatSync(path, { throwIfNoEntry: false })?.mode ?? 0) & 0o777;

/** Every path below `dir` but symbolic links, loosened as an older tokenbill left them: files 0644, dirs 0755. */
function loosenBelow(dir: string): string[] {
  const loosened: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    chmodSync(path, entry.isDirectory() ? 0o755 : 0o644);
    loosened.push(path);
    if (entry.isDirectory()) loosened.push(...loosenBelow(path));
  }
  return loosened;
}

describe("an embedded data directory with files others may read", () => {
  it("is made owner-only when opened, counted in one info line, symbolic links not followed", async () => {
    // The database's files, as PGlite makes them: a copy of the run's migrated database. Until 2026-12-07 the
    // test ran initdb and then, opening it as serve does, every migration: most of its time. Without the run's
    // copy (DATABASE_URL set when the run started), the directory is empty and the first open runs initdb.
    const data = await testCommandDataDir();
    const dataDir = data.dir;
    const home = dirname(dataDir);
    const config = parseConfig({ DATA_DIR: dataDir });
    if (readdirSync(dataDir).length === 0) await (await openDatabase({ dataDir })).close();

    // What a link points at lies outside DATA_DIR: it is someone else's business, and stays as it is.
    const outside = join(home, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "notes.txt"), "not tokenbill's");
    chmodSync(outside, 0o755);
    chmodSync(join(outside, "notes.txt"), 0o644);
    symlinkSync(join(outside, "notes.txt"), join(dataDir, "base", "link-to-file"));
    symlinkSync(outside, join(dataDir, "link-to-dir"));
    const loosened = loosenBelow(dataDir);
    expect(loosened.length).toBeGreaterThan(100); // the database's own files, not only the few secret ones

    const lines: { level: number; msg: string; changed?: number }[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const handle = await openMigratedDatabase(config, logger);
    try {
      const stillOpen = loosened.filter((path) => modeOf(path) & 0o077);
      expect(stillOpen).toEqual([]);
      expect(modeOf(join(dataDir, "base"))).toBe(0o700);
      expect(modeOf(join(dataDir, "PG_VERSION"))).toBe(0o600);
      expect([modeOf(outside), modeOf(join(outside, "notes.txt"))]).toEqual([0o755, 0o644]);
      const told = lines.filter((line) => line.changed !== undefined);
      expect(told).toEqual([expect.objectContaining({ level: 30, changed: loosened.length })]);
      // How many, never what: no file's name or content is in the line.
      expect(told[0]!.msg).not.toMatch(/PG_VERSION|base\//);
    } finally {
      await handle.close();
    }
  });
});
