import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CommandDataDir,
  commandDataDir,
  tokenbillCommand,
} from "../../test/helpers/tokenbill-command.ts";

// `tokenbill database backup` and `restore` as an operator runs them (docs/operations.md, "Backups"): one
// database's customers backed up, restored into another DATA_DIR, and seen there.

const dirs: CommandDataDir[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

describe("tokenbill database backup / restore", () => {
  it("backs up a DATA_DIR to an owner-only file and restores it elsewhere", async () => {
    const source = await commandDataDir();
    const target = await commandDataDir();
    dirs.push(source, target);
    const file = join(source.dir, "..", "backup.tar.gz");

    const created = await tokenbillCommand(["apikey", "create", "--name", "kept in the backup"], {
      DATA_DIR: source.dir,
    });
    expect(created.code).toBe(0);
    const backup = await tokenbillCommand(["database", "backup", "--out", file], { DATA_DIR: source.dir });
    expect(backup).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^backup: .*backup\.tar\.gz \(\d+ bytes\)\n$/),
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // Not over an existing file, and not into a DATA_DIR that holds a database unless told.
    expect(
      await tokenbillCommand(["database", "backup", "--out", file], { DATA_DIR: source.dir }),
    ).toMatchObject({
      code: 4,
      stderr: `error: ${file} exists; name a new file\n`,
    });
    const refused = await tokenbillCommand(["database", "restore", "--from", file], { DATA_DIR: target.dir });
    expect(refused).toMatchObject({ code: 4 });
    expect(refused.stderr).toContain("already holds a database; --replace moves it aside");

    const restored = await tokenbillCommand(["database", "restore", "--from", file, "--replace"], {
      DATA_DIR: target.dir,
    });
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(
      new RegExp(
        `^restored .*backup\\.tar\\.gz into ${target.dir}: 0 customers, 0 invoices, 0 payments\\n` +
          `the database that was there is kept in ${target.dir}\\.replaced-\\d{8}T\\d{6}Z\\n$`,
      ),
    );
    const keys = await tokenbillCommand(["apikey", "list"], { DATA_DIR: target.dir });
    expect(keys.stdout).toContain("kept in the backup");
    expect(existsSync(join(target.dir, ".tokenbill.lock"))).toBe(false);
  });

  it("refuses PostgreSQL, which has its own tools", async () => {
    const answer = await tokenbillCommand(["database", "backup", "--out", "/tmp/never-written.tar.gz"], {
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
    });
    expect(answer.code).toBe(4);
    expect(answer.stderr).toBe(
      'error: DATABASE_URL is set: tokenbill backs up only its embedded database; back it up with pg_dump or your provider\'s snapshots (docs/operations.md, "Backups")\n',
    );
    expect(existsSync("/tmp/never-written.tar.gz")).toBe(false);
  });
});
