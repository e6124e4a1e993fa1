import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../../test/helpers/test-temp-dir.ts";
import { parseConfig } from "../config.ts";
import { backupDataDir } from "./database-backup.ts";

// What `tokenbill database backup` refuses before it opens anything (docs/operations.md, "Backups").

function dataDir(files: Record<string, string>): { dir: string; out: string } {
  const root = testTempDir("tb-backup-");
  const dir = join(root, "data");
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, out: join(root, "backup.tar.gz") };
}

const backup = (dir: string, out: string) =>
  backupDataDir(parseConfig({ DATA_DIR: dir, LOG_LEVEL: "silent" }), out);

describe("tokenbill database backup refuses", () => {
  it("a DATA_DIR a running serve shares, and says how to take it from serve into an owner-only file", async () => {
    // The parent process (the test runner's) is alive and is not this one: it stands for serve.
    const { dir, out } = dataDir({
      PG_VERSION: "17",
      ".tokenbill.lock": String(process.ppid),
      ".s.PGSQL.5432": "",
    });
    await expect(backup(dir, out)).rejects.toMatchObject({
      code: "CONFLICT",
      message:
        `serve (pid ${process.ppid}) holds the database: take the backup from it, with an admin API key: ` +
        // The curl line it gave wrote the backup with the shell's umask, readable by every user of the host.
        `(umask 077; curl -fsS -H "Authorization: Bearer $KEY" -o ${out} http://127.0.0.1:8080/api/v1/backup) ` +
        "(or the console's Settings page)",
    });
    expect(existsSync(out)).toBe(false);
    // The address as serve's configuration gives it; it said `http://<serve's address>` until 2026-12-05.
    const advice = (settings: Record<string, string>) =>
      backupDataDir(parseConfig({ DATA_DIR: dir, LOG_LEVEL: "silent", ...settings }), out).catch(
        (e: Error) => /-o \S+ (.+?)\/api\/v1\/backup/.exec(e.message)?.[1],
      );
    expect(await advice({ HOST: "0.0.0.0", PORT: "9000" })).toBe("http://127.0.0.1:9000");
    expect(await advice({ HOST: "::" })).toBe("http://[::1]:8080");
    expect(await advice({ TOKENBILL_PUBLIC_URL: "https://billing.example.com/" })).toBe(
      "https://billing.example.com",
    );
    // A free port chosen at start is known only to serve.
    expect(await advice({ PORT: "0" })).toBe("http://<serve's address>");
  });

  it("a DATA_DIR another command holds", async () => {
    const { dir, out } = dataDir({ PG_VERSION: "17", ".tokenbill.lock": String(process.ppid) });
    await expect(backup(dir, out)).rejects.toMatchObject({
      code: "CONFLICT",
      message: `tokenbill process ${process.ppid} holds the database; run the backup when it has ended`,
    });
  });

  it("an existing file, and a DATA_DIR without a database", async () => {
    const held = dataDir({ PG_VERSION: "17" });
    writeFileSync(held.out, "keep me");
    await expect(backup(held.dir, held.out)).rejects.toMatchObject({
      code: "CONFLICT",
      message: `${held.out} exists; name a new file`,
    });
    const empty = dataDir({});
    await expect(backup(empty.dir, empty.out)).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: `${empty.dir} holds no database to back up`,
    });
  });

  it("a file in a directory that is not there, plainly, before it opens the database", async () => {
    const { dir, out } = dataDir({ PG_VERSION: "17" });
    const missing = join(out, "..", "nonexistent-dir");
    await expect(backup(dir, join(missing, "x.tgz"))).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: `no directory ${missing} to write the backup in`,
    });
    const notADirectory = join(dir, "PG_VERSION");
    await expect(backup(dir, join(notADirectory, "x.tgz"))).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: `no directory ${notADirectory} to write the backup in`,
    });
  });
});
