import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensurePrivateDir, ensurePrivateFile, writePrivateFile } from "./data-dir-lock.ts";
import { openDatabase } from "./open-database.ts";
import { testCommandDataDir } from "../../test/helpers/tokenbill-command.ts";

// The embedded data directory and the secret files in it are for their owner only: made so, and tightened
// (with a warning) when found looser. Modes are read back from the file system.

const modeOf = (path: string) => statSync(path).mode & 0o777;

function recorder() {
  const warnings: { message: string; path: string; mode: string }[] = [];
  return {
    warnings,
    warn: (message: string, details: { path: string; mode: string }) =>
      warnings.push({ message, ...details }),
  };
}

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-modes-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("private files", () => {
  it("creates the data directory 0700 and tightens a looser one, with a warning", () => {
    const { warnings, warn } = recorder();
    const fresh = join(scratch(), "a", "data");
    ensurePrivateDir(fresh, warn);
    expect(modeOf(fresh)).toBe(0o700);
    expect(warnings).toEqual([]);

    const loose = join(scratch(), "data");
    mkdirSync(loose);
    chmodSync(loose, 0o755);
    ensurePrivateDir(loose, warn);
    expect(modeOf(loose)).toBe(0o700);
    expect(warnings).toEqual([expect.objectContaining({ path: loose, mode: "0755" })]);
  });

  it("writes a secret file 0600, also over a file that was readable by others", () => {
    const { warnings, warn } = recorder();
    const dir = scratch();
    const fresh = join(dir, "fresh-key");
    writePrivateFile(fresh, "secret-1\n", warn);
    expect(modeOf(fresh)).toBe(0o600);

    const existing = join(dir, "admin-api-key");
    writeFileSync(existing, "old\n", { mode: 0o644 });
    chmodSync(existing, 0o644); // whatever the umask did
    writePrivateFile(existing, "secret-2\n", warn);
    expect(modeOf(existing)).toBe(0o600);
    expect(readFileSync(existing, "utf8")).toBe("secret-2\n");
    expect(warnings).toEqual([expect.objectContaining({ path: existing, mode: "0644" })]);
  });

  it("tightens an existing secret file and leaves a missing one alone", () => {
    const { warnings, warn } = recorder();
    const dir = scratch();
    const file = join(dir, "sandbox.json");
    writeFileSync(file, "{}");
    chmodSync(file, 0o640);
    ensurePrivateFile(file, warn);
    expect(modeOf(file)).toBe(0o600);
    ensurePrivateFile(join(dir, "missing.json"), warn);
    expect(warnings.map((w) => w.mode)).toEqual(["0640"]);
  });

  it("opens the embedded database in a directory made private, its lock file and secret files 0600", async () => {
    const { warnings, warn } = recorder();
    // A copy of the run's migrated database, not a new one: initdb was most of the test's time (10 s under load,
    // 2026-12-07), and it is the directory and the secret files beside the database that are read here.
    const dataDir = (await testCommandDataDir()).dir;
    chmodSync(dataDir, 0o775);
    // Secret files left readable (a chmod, a copy): a command's open tightens them, as serve's start does.
    const key = join(dataDir, "admin-api-key");
    writeFileSync(key, "tb_admin_secret\n");
    chmodSync(key, 0o644);
    const logins = join(dataDir, "sandbox-logins.json");
    writeFileSync(logins, "{}");
    chmodSync(logins, 0o640);
    const handle = await openDatabase({ dataDir, onPermissionWarning: warn });
    try {
      expect(modeOf(dataDir)).toBe(0o700);
      expect(modeOf(join(dataDir, ".tokenbill.lock"))).toBe(0o600);
      expect([modeOf(key), modeOf(logins)]).toEqual([0o600, 0o600]);
      expect(warnings).toEqual([
        expect.objectContaining({ path: dataDir, mode: "0775" }),
        expect.objectContaining({ path: key, mode: "0644" }),
        expect.objectContaining({ path: logins, mode: "0640" }),
      ]);
    } finally {
      await handle.close();
    }
  });
});
