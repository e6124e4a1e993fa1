import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable, type Writable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../../test/helpers/test-temp-dir.ts";
import { removeLeftSpools, SPOOL_PREFIX, spoolBackup } from "./backup-spool.ts";

// The spool serve's backup is made into before it is sent (docs/operations.md, "Backups"): owner-only, gone
// from the directory once it is being sent, and gone whatever way the making fails.

const writing =
  (...parts: (Buffer | Error)[]) =>
  (into: Writable, signal?: AbortSignal) =>
    pipeline(
      Readable.from(
        (async function* () {
          for (const part of parts) {
            if (part instanceof Error) throw part;
            yield part;
          }
        })(),
      ),
      into,
      signal ? { signal } : {},
    );

describe("a backup's spool", () => {
  it("is written owner-only, then sent whole with its size, and is out of the directory meanwhile", async () => {
    const dir = testTempDir("tb-spool-");
    const modes: number[] = [];
    const made = await spoolBackup(dir, async (into, signal) => {
      await writing(Buffer.from("first "), Buffer.from("second"))(into, signal);
      for (const name of readdirSync(dir)) modes.push(statSync(join(dir, name)).mode & 0o777);
    });
    expect(modes).toEqual([0o600]);
    expect(readdirSync(dir)).toEqual([]);
    expect(made.bytes).toBe(12);
    expect((await buffer(made.stream)).toString()).toBe("first second");
  });

  it("is removed when the making fails half-way, or is stopped", async () => {
    const dir = testTempDir("tb-spool-");
    await expect(spoolBackup(dir, writing(Buffer.from("half"), new Error("disk full")))).rejects.toThrow(
      "disk full",
    );
    expect(readdirSync(dir)).toEqual([]);
    const stop = new AbortController();
    stop.abort();
    await expect(spoolBackup(dir, writing(Buffer.from("never")), stop.signal)).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it("left by a process that died is removed, and nothing else is", () => {
    const dir = testTempDir("tb-spool-");
    writeFileSync(join(dir, `${SPOOL_PREFIX}0123456789ab.tar.gz`), "half");
    writeFileSync(join(dir, "PG_VERSION"), "17");
    removeLeftSpools(dir);
    expect(readdirSync(dir)).toEqual(["PG_VERSION"]);
  });
});
