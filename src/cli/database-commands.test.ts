import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Kysely, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { testCommandDataDir, tokenbillCommand } from "../../test/helpers/tokenbill-command.ts";
import { openDatabase } from "../db/open-database.ts";
import type { Database } from "../db/schema.ts";
import { rawTar } from "../db/testing/raw-tar.ts";

// `tokenbill database backup` and `restore` as an operator runs them (docs/operations.md, "Backups"): one
// database's customers backed up, restored into another DATA_DIR, and seen there.

async function withDatabase<T>(dataDir: string, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const handle = await openDatabase({ dataDir });
  try {
    return await work(handle.db);
  } finally {
    await handle.close();
  }
}

// The tests run at once: each works in directories of its own, and each command is a process mostly starting.
describe.concurrent("tokenbill database backup / restore", () => {
  // Three commands, each a process that opens an embedded database: up to a minute on a busy machine.
  it("backs up a DATA_DIR to an owner-only file and restores it elsewhere", {
    timeout: 180_000,
  }, async ({ onTestFinished }) => {
    const [source, target] = await Promise.all([
      testCommandDataDir(onTestFinished),
      testCommandDataDir(onTestFinished),
    ]);
    const file = join(source.dir, "..", "backup.tar.gz");

    await withDatabase(source.dir, (db) =>
      sql`INSERT INTO customer (email, name, country, currency_code)
          VALUES ('kept@example.com', 'Kept', 'GB', 'USD')`.execute(db),
    );
    const backup = await tokenbillCommand(["database", "backup", "--out", file], { DATA_DIR: source.dir });
    expect(backup).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^backup: .*backup\.tar\.gz \(\d+ bytes\)\n$/),
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // Not into a DATA_DIR that holds a database unless told.
    const refused = await tokenbillCommand(["database", "restore", "--from", file], { DATA_DIR: target.dir });
    expect(refused).toMatchObject({ code: 4 });
    expect(refused.stderr).toContain("already holds a database; --replace moves it aside");

    const restored = await tokenbillCommand(["database", "restore", "--from", file, "--replace"], {
      DATA_DIR: target.dir,
    });
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(
      new RegExp(
        `^restored .*backup\\.tar\\.gz into ${target.dir}: 1 customers, 0 invoices, 0 payments\\n` +
          `the database that was there is kept in ${target.dir}\\.replaced-\\d{8}T\\d{6}Z\\n$`,
      ),
    );
    const emails = await withDatabase(target.dir, (db) =>
      db.selectFrom("customer").select("email").execute(),
    );
    expect(emails).toEqual([{ email: "kept@example.com" }]);
    expect(existsSync(join(target.dir, ".tokenbill.lock"))).toBe(false);
  });

  it("refuses an archive that writes through a symbolic link: exit 2, the problem named, no copy left", async () => {
    // Until 2026-12-06 tar's warning left the unpacking unsettled: exit 13, nothing said, the copy left.
    const root = mkdtempSync(join(tmpdir(), "tb-restore-crafted-"));
    const outside = mkdtempSync(join(tmpdir(), "tb-restore-linktarget-"));
    try {
      const file = join(root, "crafted.tar.gz");
      writeFileSync(
        file,
        rawTar([
          { path: "./PG_VERSION", type: "File", body: "17\n" },
          { path: "./link", type: "SymbolicLink", linkpath: outside },
          { path: "./link/through.txt", type: "File", body: "written through the link" },
        ]),
      );
      const answer = await tokenbillCommand(["database", "restore", "--replace", "--from", file], {
        DATA_DIR: join(root, "data"),
      });
      expect([answer.code, answer.stderr]).toEqual([
        2,
        "error: not a tokenbill backup: it could not be unpacked (./link is a symbolic link; a backup holds only files and directories)\n",
      ]);
      expect(readdirSync(root)).toEqual(["crafted.tar.gz"]);
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it("refuses PostgreSQL, which has its own tools: a configuration it cannot work with, exit 78", async () => {
    const postgres = { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" };
    const [answer, restore] = await Promise.all([
      tokenbillCommand(["database", "backup", "--out", "/tmp/never-written.tar.gz"], postgres),
      tokenbillCommand(["database", "restore", "--from", "/tmp/none.tar.gz"], postgres),
    ]);
    // Exit 4 (conflict) until 2026-12-05, where docs/operations.md puts such a configuration under 78.
    expect(answer.code).toBe(78);
    expect(answer.stderr).toBe(
      'error: DATABASE_URL is set: tokenbill backs up only its embedded database; back it up with pg_dump or your provider\'s snapshots (docs/operations.md, "Backups")\n',
    );
    expect(existsSync("/tmp/never-written.tar.gz")).toBe(false);
    expect([restore.code, restore.stderr]).toEqual([
      78,
      'error: DATABASE_URL is set: tokenbill backs up only its embedded database; restore it with pg_restore or psql (docs/operations.md, "Backups")\n',
    ]);
  });
});
