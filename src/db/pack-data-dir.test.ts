import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../../test/helpers/test-temp-dir.ts";
import { openDatabase } from "./open-database.ts";

// A backup taken while `serve` runs must leave its event loop free: GetTokenPricing answers from memory
// meanwhile (docs/operations.md, "Backups"). Compression runs in zlib's thread pool, not on the loop.

const MIB = 1024 * 1024;

describe("packing a data directory", () => {
  it("keeps the event loop's longest stall short while it compresses tens of MB", async () => {
    const dataDir = join(testTempDir("tb-pack-"), "data");
    const handle = await openDatabase({ dataDir });
    try {
      // What a book's files look like to gzip: some incompressible, some very compressible (WAL, tables).
      writeFileSync(join(dataDir, "base", "ballast-random"), randomBytes(24 * MIB));
      writeFileSync(join(dataDir, "base", "ballast-text"), Buffer.alloc(24 * MIB, "customer invoice 12345 "));
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const bytes = await handle.backup!();
      delay.disable();
      const longestMs = delay.max / 1e6;
      console.log(`backup of ${bytes.byteLength} bytes: longest event-loop stall ${longestMs.toFixed(0)} ms`);
      expect(bytes.byteLength).toBeGreaterThan(24 * MIB);
      expect(longestMs).toBeLessThan(250);
    } finally {
      await handle.close();
    }
  });
});
