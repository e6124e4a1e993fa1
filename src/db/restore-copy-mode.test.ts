import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tar from "tar";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { testTempDir } from "../../test/helpers/test-temp-dir.ts";
import { restoreEmbeddedBackup } from "./embedded-backup.ts";
import type { DatabaseHandle } from "./open-database.ts";
import { backupBytes } from "./testing/backup-bytes.ts";

// A restore's unpacked copy beside DATA_DIR holds every secret's hash: owner-only from the moment it is made,
// whatever modes the archive's entries carry. An archive packed from a loose directory (`./` 0755, its files
// 0644) left them so in the copy until the database was opened.

let source: DatabaseHandle;
let loose: string;

/** Every path under `dir`, itself included, whose mode lets a group or other user in. */
function openToOthers(dir: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    const stat = statSync(path);
    if ((stat.mode & 0o077) !== 0) found.push(`${path} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(dir);
  return found;
}

beforeAll(async () => {
  source = await createTestDatabase();
  // The backup unpacked, loosened as a hand-made archive of a 0755 directory is, and packed again.
  const dir = mkdtempSync(join(tmpdir(), "tb-loose-"));
  const original = join(dir, "original.tar.gz");
  writeFileSync(original, await backupBytes(source));
  tar.x({ cwd: dir, file: original, sync: true, onentry: () => {} });
  chmodSync(dir, 0o755);
  const loosen = (path: string) => {
    const stat = statSync(path);
    chmodSync(path, stat.isDirectory() ? 0o755 : 0o644);
    if (stat.isDirectory()) for (const name of readdirSync(path)) loosen(join(path, name));
  };
  rmSync(original);
  loosen(dir);
  loose = join(tmpdir(), `tb-loose-${process.pid}.tar.gz`);
  tar.c({ cwd: dir, gzip: true, sync: true, file: loose, portable: true }, ["."]);
  rmSync(dir, { recursive: true, force: true });
});
afterAll(async () => {
  rmSync(loose, { force: true });
  await source?.close();
});

it("keeps the unpacked copy and all in it owner-only while it unpacks an archive whose ./ is 0755", async () => {
  const header = new tar.Parser();
  const modes: Record<string, number> = {};
  header.on("entry", (entry) => {
    modes[entry.path] = entry.mode ?? 0;
    entry.resume();
  });
  header.end(readFileSync(loose));
  expect(modes["./"]).toBe(0o755); // the archive is as loose as the test means

  const dataDir = join(testTempDir("tb-restore-mode-"), "data");
  let during: string[] | undefined;
  await restoreEmbeddedBackup({
    from: loose,
    dataDir,
    replace: false,
    now: new Date("2026-12-07T15:00:00Z"),
    onUnpacked: (copy) => {
      during = openToOthers(copy);
    },
  });
  expect(during).toEqual([]);
  expect(openToOthers(dataDir)).toEqual([]);
});
