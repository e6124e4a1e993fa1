import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../../test/helpers/test-temp-dir.ts";
import { testCommandDataDir } from "../../test/helpers/tokenbill-command.ts";
import { openDatabase } from "./open-database.ts";
import { removeLeftRestoreCopies, restoreCopyPath } from "./restore-copies.ts";

// The unpacked copy a killed restore left beside DATA_DIR (it holds every secret's hash) is removed by the
// next process that holds DATA_DIR's lock; until 2026-12-06 it stayed for good.

/** A copy as a killed restore leaves it: a directory with some of a database in it. */
function leftCopy(dataDir: string, random: string): string {
  const copy = restoreCopyPath(dataDir, "20261206T015812Z", random);
  mkdirSync(join(copy, "base"), { recursive: true });
  writeFileSync(join(copy, "PG_VERSION"), "17\n");
  return copy;
}

describe("removeLeftRestoreCopies", () => {
  it("removes this DATA_DIR's copies only, and names them", () => {
    const parent = testTempDir("tb-restore-copies-");
    const dataDir = join(parent, "data");
    const copies = [leftCopy(dataDir, "711e58"), leftCopy(dataDir, "8d79d8")];
    const others = [leftCopy(join(parent, "data2"), "aaaaaa"), join(parent, ".data.restoring")];
    mkdirSync(others[1]!);
    expect(removeLeftRestoreCopies(dataDir).sort()).toEqual(copies.sort());
    for (const copy of copies) expect(existsSync(copy)).toBe(false);
    for (const other of others) expect(existsSync(other)).toBe(true);
  });

  it("is done when the embedded database is opened, which holds DATA_DIR's lock", async () => {
    // A copy of the run's migrated database: a new one would run initdb first, most of the test's time (7 s
    // of 7 under load, 2026-12-07), for nothing this test reads. Empty, and made by the open, without the copy.
    const dataDir = (await testCommandDataDir()).dir;
    const copy = leftCopy(dataDir, "711e58");
    const handle = await openDatabase({ dataDir });
    try {
      expect(existsSync(copy)).toBe(false);
    } finally {
      await handle.close();
    }
  });
});
