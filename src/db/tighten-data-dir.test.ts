import { chmodSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../../test/helpers/test-temp-dir.ts";
import { tightenDataDir } from "./tighten-data-dir.ts";

// The walk by itself, on a tree of plain files: what it changes, what it counts, what it never touches.
// (src/app/data-dir-modes.test.ts opens a real database the way serve and the commands do.)

const modeOf = (path: string) => lstatSync(path).mode & 0o777;

describe("tightenDataDir", () => {
  it("clears group and other bits below the directory, keeps the owner's, and counts what it changed", () => {
    const root = testTempDir("tb-tighten-");
    const dataDir = join(root, "data");
    mkdirSync(join(dataDir, "base", "1"), { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700); // the caller's ensurePrivateDir
    chmodSync(join(dataDir, "base"), 0o755);
    chmodSync(join(dataDir, "base", "1"), 0o750);
    const files = {
      PG_VERSION: 0o644,
      "base/1/1259": 0o666,
      "base/1/readonly": 0o444,
      "postmaster.opts": 0o600, // already private: neither changed nor counted
    };
    for (const [name, mode] of Object.entries(files)) {
      writeFileSync(join(dataDir, name), "x");
      chmodSync(join(dataDir, name), mode);
    }

    expect(tightenDataDir(dataDir)).toBe(5);
    expect([
      modeOf(join(dataDir, "base")),
      modeOf(join(dataDir, "base", "1")),
      modeOf(join(dataDir, "PG_VERSION")),
      modeOf(join(dataDir, "base", "1", "1259")),
      modeOf(join(dataDir, "base", "1", "readonly")),
      modeOf(join(dataDir, "postmaster.opts")),
    ]).toEqual([0o700, 0o700, 0o600, 0o600, 0o400, 0o600]);
    // Once is enough: a second start finds nothing to do.
    expect(tightenDataDir(dataDir)).toBe(0);
  });

  it("follows no symbolic link, to a file, to a directory or to nothing", () => {
    const root = testTempDir("tb-tighten-links-");
    const dataDir = join(root, "data");
    const outside = join(root, "elsewhere");
    mkdirSync(dataDir, { mode: 0o700 });
    mkdirSync(outside);
    writeFileSync(join(outside, "file"), "x");
    chmodSync(outside, 0o755);
    chmodSync(join(outside, "file"), 0o644);
    symlinkSync(join(outside, "file"), join(dataDir, "to-file"));
    symlinkSync(outside, join(dataDir, "to-dir"));
    symlinkSync(join(root, "gone"), join(dataDir, "dangling"));

    expect(tightenDataDir(dataDir)).toBe(0);
    expect([modeOf(outside), modeOf(join(outside, "file"))]).toEqual([0o755, 0o644]);
  });
});
