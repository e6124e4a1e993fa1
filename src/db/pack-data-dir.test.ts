import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { sql } from "kysely";
import * as tar from "tar";
import { describe, expect, it, onTestFinished } from "vitest";
import { commandDataDir } from "../../test/helpers/tokenbill-command.ts";
import { restoreEmbeddedBackup } from "./embedded-backup.ts";
import { backupBytes } from "./testing/backup-bytes.ts";
import { openDatabase } from "./open-database.ts";

// A backup taken while `serve` runs must leave its event loop free: GetTokenPricing answers from memory
// meanwhile (docs/operations.md, "Backups"). Compression runs in zlib's thread pool, not on the loop.

const MIB = 1024 * 1024;
/**
 * Both tests are CPU work (gzip of 48 MB; eight rounds of 60,000 rows written, vacuumed and checkpointed) with
 * nothing to wait for: on CI's loaded two cores (17–25 runnable) they outlived the unit project's 60 s. A
 * ceiling, not a wait: a quiet run takes what it took.
 */
const CPU_BOUND_TIMEOUT_MS = 300_000;

/**
 * A data directory removed when the test finishes: a copy of the run's migrated database, where a new one ran
 * initdb first. What these tests pack is their own ballast and churn, not the database's first files.
 */
async function dataDirCopy(): Promise<string> {
  const data = await commandDataDir();
  onTestFinished(() => data.remove());
  return data.dir;
}

describe("packing a data directory", () => {
  // How long the event loop stalls while a backup compresses is measured, not asserted (no timing in a test):
  // docs/performance.md, "A backup beside the load". This checks that the streamed archive holds every byte.
  it(
    "packs tens of MB of mixed files through the streamed compression, whole",
    async () => {
      const dataDir = await dataDirCopy();
      const handle = await openDatabase({ dataDir });
      const random = randomBytes(24 * MIB);
      let bytes: Uint8Array;
      try {
        // What a book's files look like to gzip: some incompressible, some very compressible (WAL, tables).
        writeFileSync(join(dataDir, "base", "ballast-random"), random);
        writeFileSync(
          join(dataDir, "base", "ballast-text"),
          Buffer.alloc(24 * MIB, "customer invoice 12345 "),
        );
        bytes = await backupBytes(handle);
      } finally {
        await handle.close();
      }
      expect(bytes.byteLength).toBeGreaterThan(24 * MIB);
      const sizes = new Map<string, number>();
      let packedRandom = Buffer.alloc(0);
      await new Promise<void>((done, fail) => {
        const list = tar.t({
          onReadEntry: (entry) => {
            sizes.set(entry.path.replace(/^\.\//, ""), entry.size);
            if (!entry.path.endsWith("ballast-random")) return entry.resume();
            const parts: Buffer[] = [];
            entry.on("data", (c: Buffer) => parts.push(c));
            entry.on("end", () => {
              packedRandom = Buffer.concat(parts);
            });
          },
        });
        list.on("end", done).on("error", fail);
        list.end(Buffer.from(bytes));
      });
      expect(sizes.get("base/ballast-text")).toBe(24 * MIB);
      expect(packedRandom.equals(random)).toBe(true);
    },
    CPU_BOUND_TIMEOUT_MS,
  );

  it(
    "carries at most two WAL segments after churn, not the recycled ones, and the copy opens with its rows",
    async () => {
      const dataDir = await dataDirCopy();
      const root = dirname(dataDir);
      const handle = await openDatabase({ dataDir });
      let bytes: Uint8Array;
      try {
        await sql`CREATE TABLE churn (id int, pad text)`.execute(handle.db);
        // What vacuum rounds leave: each checkpoint recycled the segments before it as future ones.
        for (let round = 0; round < 8; round++) {
          await sql`INSERT INTO churn SELECT g, repeat('x', 200) FROM generate_series(1, 60000) g`.execute(
            handle.db,
          );
          await sql`DELETE FROM churn`.execute(handle.db);
          await sql`VACUUM churn`.execute(handle.db);
          await sql`CHECKPOINT`.execute(handle.db);
        }
        await sql`INSERT INTO churn VALUES (1, 'kept')`.execute(handle.db);
        bytes = await backupBytes(handle);
      } finally {
        await handle.close();
      }
      const segments: string[] = [];
      await new Promise<void>((done, fail) => {
        const list = tar.t({
          onReadEntry: (entry) => {
            if (/pg_wal\/[0-9A-F]{24}$/.test(entry.path)) segments.push(entry.path);
          },
        });
        list.on("end", done).on("error", fail);
        list.end(Buffer.from(bytes));
      });
      // The segment of the last checkpoint's redo, and the one written since (if the checkpoint crossed into it).
      expect(segments.length).toBeLessThanOrEqual(2);
      const from = join(root, "backup.tar.gz");
      writeFileSync(from, bytes);
      const restored = join(root, "restored");
      await restoreEmbeddedBackup({ from, dataDir: restored, replace: false, now: new Date() });
      const again = await openDatabase({ dataDir: restored });
      try {
        expect((await sql<{ pad: string }>`SELECT pad FROM churn`.execute(again.db)).rows).toEqual([
          { pad: "kept" },
        ]);
      } finally {
        await again.close();
      }
    },
    CPU_BOUND_TIMEOUT_MS,
  );
});
