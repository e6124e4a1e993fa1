import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { sql } from "kysely";
import * as tar from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { testTempDir } from "../../test/helpers/test-temp-dir.ts";
import { LOCK_FILE, LOCK_RUN_FILE } from "./data-dir-lock.ts";
import { processRun } from "./process-run.ts";
import { restoreEmbeddedBackup } from "./embedded-backup.ts";
import { type DatabaseHandle, openDatabase } from "./open-database.ts";
import { SOCKET_NAME } from "./pglite-socket-server.ts";
import { backupBytes } from "./testing/backup-bytes.ts";
import { type RawEntry, rawTar } from "./testing/raw-tar.ts";
import { type Contender, startContenders } from "./testing/lock-contenders.ts";

// A backup of the embedded database and its restore (docs/operations.md, "Backups"): what is restored is what
// was backed up, without the files of the process that held it, and a restore that cannot finish leaves
// DATA_DIR as it was.

/** A gzipped tar of the given files, made in a directory of its own. */
function tarOf(files: Record<string, string>): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "tb-tar-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    tar.c({ cwd: dir, gzip: true, sync: true, file: join(dir, "out.tar.gz") }, Object.keys(files));
    return readFileSync(join(dir, "out.tar.gz"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const NOW = new Date("2026-12-04T21:05:12Z");
const MIB = 1024 * 1024;
let source: DatabaseHandle;
let backup: Uint8Array;

async function customerEmails(dataDir: string): Promise<string[]> {
  const handle = await openDatabase({ dataDir });
  try {
    const rows = await handle.db.selectFrom("customer").select("email").orderBy("id").execute();
    return rows.map((r) => r.email);
  } finally {
    await handle.close();
  }
}

/** The backup `bytes` restored from a file, as the command does. */
function restore(bytes: Uint8Array, dataDir: string, replace = false) {
  const dir = mkdtempSync(join(tmpdir(), "tb-backup-file-"));
  const from = join(dir, "backup.tar.gz");
  writeFileSync(from, bytes);
  const restoring = restoreEmbeddedBackup({ from, dataDir, replace, now: NOW });
  return restoring.finally(() => rmSync(dir, { recursive: true, force: true }));
}

beforeAll(async () => {
  source = await createTestDatabase();
  await sql`INSERT INTO customer (email, name, country, currency_code)
            VALUES ('ada@example.com', 'Ada', 'GB', 'USD'), ('bert@example.com', 'Bert', 'DE', 'EUR')`.execute(
    source.db,
  );
  backup = await backupBytes(source);
});
afterAll(() => source?.close());

describe("backup and restore of the embedded database", () => {
  it("restores what was backed up into a new DATA_DIR", async () => {
    const dataDir = join(testTempDir("tb-restore-"), "data");
    const result = await restore(backup, dataDir);
    expect(result).toMatchObject({
      dataDir,
      replacedTo: undefined,
      migrated: [],
      counts: { customers: 2, invoices: 0, payments: 0 },
    });
    expect(await customerEmails(dataDir)).toEqual(["ada@example.com", "bert@example.com"]);
  });

  it("leaves out the lock and socket of the serve the backup was taken from", async () => {
    const root = testTempDir("tb-restore-");
    const first = join(root, "first");
    await restore(backup, first);
    const serving = await openDatabase({ dataDir: first, share: true });
    let again: Uint8Array;
    try {
      expect(existsSync(join(first, LOCK_FILE))).toBe(true);
      expect(existsSync(join(first, LOCK_RUN_FILE))).toBe(processRun(process.pid) !== undefined);
      expect(existsSync(join(first, SOCKET_NAME))).toBe(true);
      again = await backupBytes(serving);
    } finally {
      await serving.close();
    }
    const second = join(root, "second");
    await restore(again, second);
    const names = readdirSync(second);
    expect(names).toContain("PG_VERSION");
    expect(names).not.toContain(LOCK_FILE);
    expect(names).not.toContain(LOCK_RUN_FILE); // which run of a pid held the lock: the serve's, not the data's
    expect(names).not.toContain(SOCKET_NAME);
    expect(await customerEmails(second)).toEqual(["ada@example.com", "bert@example.com"]);
  });

  it("leaves out the plaintext secrets beside the database: the admin key and the sandbox's logins", async () => {
    const dataDir = join(testTempDir("tb-restore-"), "data");
    await restore(backup, dataDir);
    writeFileSync(join(dataDir, "admin-api-key"), "tbk_live_secret\n", { mode: 0o600 });
    writeFileSync(join(dataDir, "sandbox-logins.json"), '{"staff":{"password":"pw"}}', { mode: 0o600 });
    writeFileSync(join(dataDir, "sandbox-emulator.json"), "{}", { mode: 0o600 });
    const handle = await openDatabase({ dataDir });
    let again: Uint8Array;
    try {
      again = await backupBytes(handle);
    } finally {
      await handle.close();
    }
    const entries: string[] = [];
    await new Promise<void>((done, fail) => {
      const list = tar.t({ onReadEntry: (entry) => entries.push(entry.path.replace(/^\.\//, "")) });
      list.on("end", done).on("error", fail);
      list.end(Buffer.from(again));
    });
    expect(entries).toContain("PG_VERSION");
    expect(entries).not.toContain("admin-api-key");
    expect(entries).not.toContain("sandbox-logins.json");
    // The sandbox emulator's state stays: a restored sandbox database is bound to that emulator's identity.
    expect(entries).toContain("sandbox-emulator.json");
  });

  it("refuses a DATA_DIR that holds a database unless told to replace it, and keeps the one replaced", async () => {
    const root = testTempDir("tb-restore-");
    const dataDir = join(root, "data");
    await restore(backup, dataDir);
    const handle = await openDatabase({ dataDir });
    await sql`UPDATE customer SET name = 'Ada Lovelace' WHERE email = 'ada@example.com'`.execute(handle.db);
    await handle.close();

    await expect(restore(backup, dataDir)).rejects.toMatchObject({
      code: "CONFLICT",
      message: `${dataDir} already holds a database; --replace moves it aside (it is kept) and restores in its place`,
    });
    expect(readdirSync(root)).toEqual(["data"]);

    const replaced = await restore(backup, dataDir, true);
    expect(replaced.replacedTo).toBe(`${dataDir}.replaced-20261204T210512Z`);
    const names = async (dir: string) => {
      const h = await openDatabase({ dataDir: dir });
      try {
        return (await h.db.selectFrom("customer").select("name").orderBy("id").execute()).map((r) => r.name);
      } finally {
        await h.close();
      }
    };
    expect(await names(dataDir)).toEqual(["Ada", "Bert"]);
    expect(await names(replaced.replacedTo!)).toEqual(["Ada Lovelace", "Bert"]);
  });

  describe("a restore that cannot finish", () => {
    let root: string;
    let dataDir: string;
    let before: string;
    // Where a crafted archive's link points: nothing may arrive there.
    const outside = mkdtempSync(join(tmpdir(), "tb-restore-outside-"));
    // What a restore could have touched: the directory's names, and each file's size.
    const listing = (dir: string): string =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => `${join(e.parentPath, e.name)}:${statSync(join(e.parentPath, e.name)).size}`)
        .sort()
        .join("\n");

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), "tb-restore-"));
      dataDir = join(root, "data");
      await restore(backup, dataDir);
      before = listing(root);
    });
    afterAll(() => {
      rmSync(root, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    });

    it("refuses while another process holds DATA_DIR", async () => {
      // The parent process (the test runner's) is alive and is not this one.
      writeFileSync(join(dataDir, LOCK_FILE), String(process.ppid));
      try {
        await expect(restore(backup, dataDir, true)).rejects.toMatchObject({
          code: "CONFLICT",
          message: `${dataDir} is in use by tokenbill process ${process.ppid}: stop it (serve, or the command) before restoring`,
        });
        expect(readFileSync(join(dataDir, LOCK_FILE), "utf8")).toBe(String(process.ppid));
      } finally {
        rmSync(join(dataDir, LOCK_FILE));
      }
      expect(listing(root)).toBe(before);
    });

    const cases: [string, () => Uint8Array, string][] = [
      [
        "a file that is not gzip",
        () => Buffer.from("hello"),
        "not a tokenbill backup: the file is not gzip-compressed",
      ],
      [
        "gzip that is not a tar",
        () => gzipSync(Buffer.alloc(4096, 7)),
        "not a tokenbill backup: it could not be unpacked (TAR_BAD_ARCHIVE: Unrecognized archive format)",
      ],
      [
        "a backup cut short",
        () => backup.subarray(0, Math.floor(backup.byteLength / 2)),
        "not a tokenbill backup: it could not be unpacked (unexpected end of file)",
      ],
      [
        "a tar without a database",
        () => tarOf({ "notes.txt": "hello" }),
        "not a tokenbill backup: it holds no database (no PG_VERSION)",
      ],
    ];
    it.each(cases)("refuses %s and leaves DATA_DIR as it was", async (_name, input, message) => {
      await expect(restore(input(), dataDir, true)).rejects.toMatchObject({ code: "VALIDATION", message });
      expect(listing(root)).toBe(before);
    });

    // What tar's extractor warns of, and entries no backup holds: each a refusal, the unpacked copy removed, and
    // nothing written outside it. UnpackSync never ended after such a warning: the command exited 13, silent.
    const version: RawEntry = { path: "./PG_VERSION", type: "File", body: "17\n" };
    const crafted: [string, RawEntry[], string][] = [
      [
        "a symbolic link to a directory outside, then a file through it",
        [
          version,
          { path: "./link", type: "SymbolicLink", linkpath: outside },
          { path: "./link/through.txt", type: "File", body: "written through the link" },
        ],
        "./link is a symbolic link; a backup holds only files and directories",
      ],
      [
        "a hard link",
        [version, { path: "./copy", type: "Link", linkpath: "./PG_VERSION" }],
        "./copy is a hard link; a backup holds only files and directories",
      ],
      [
        "a named pipe",
        [version, { path: "./pipe", type: "FIFO" }],
        "./pipe is an entry of type FIFO; a backup holds only files and directories",
      ],
      [
        "a path that climbs out",
        [version, { path: "../escaped.txt", type: "File", body: "out" }],
        "../escaped.txt: path contains '..'",
      ],
      [
        "a file where a directory has to be",
        [
          version,
          { path: "./base", type: "File", body: "not a directory" },
          { path: "./base/1/16384", type: "File", body: "rows" },
        ],
        "./base/1/16384: ENOTDIR",
      ],
      [
        "a damaged header",
        [version, { path: "./global/pg_control", type: "File", body: "x", badChecksum: true }],
        "a damaged entry header: checksum failure",
      ],
    ];
    it.each(crafted)("refuses %s, and writes nothing outside its copy", async (_name, entries, problem) => {
      const refused = restore(rawTar(entries), dataDir, true);
      await expect(refused).rejects.toMatchObject({ code: "VALIDATION" });
      await expect(refused).rejects.toThrow(`not a tokenbill backup: it could not be unpacked (${problem}`);
      expect(listing(root)).toBe(before);
      expect(readdirSync(root)).toEqual(["data"]);
      expect(readdirSync(outside)).toEqual([]);
      expect(existsSync(join(root, "..", "escaped.txt"))).toBe(false);
    });

    it("and the database there still opens with its rows", async () => {
      expect(await customerEmails(dataDir)).toEqual(["ada@example.com", "bert@example.com"]);
    });
  });

  describe("into a DATA_DIR that is not there yet", () => {
    let serve: Contender | undefined;
    beforeAll(async () => {
      [serve] = await startContenders(1);
    });
    afterAll(() => serve?.stop());

    it("holds it from the start: a serve starting meanwhile is refused, and the restore finishes", async () => {
      const root = testTempDir("tb-restore-");
      const dataDir = join(root, "data");
      const restoring = restore(backup, dataDir);
      restoring.catch(() => {}); // looked at below, after the other process's attempt
      // The restore has begun (its staging directory is there) and is unpacking: another process starts on
      // DATA_DIR as serve does, making the directory if it is missing.
      expect(readdirSync(root).some((name) => name.startsWith(".data.restoring-"))).toBe(true);
      expect(await serve!.tryLock(dataDir)).toBe("lost");
      await expect(restoring).resolves.toMatchObject({ counts: { customers: 2 } });
      expect(readdirSync(root)).toEqual(["data"]);
      expect(await customerEmails(dataDir)).toEqual(["ada@example.com", "bert@example.com"]);
    });

    it("leaves nothing behind when the backup is refused: no DATA_DIR, no staging directory", async () => {
      const root = testTempDir("tb-restore-");
      await expect(restore(tarOf({ "notes.txt": "hello" }), join(root, "data"))).rejects.toMatchObject({
        code: "VALIDATION",
      });
      expect(readdirSync(root)).toEqual([]);
    });
  });

  it("reads the file as a stream and refuses one that unpacks to more than the bound, with memory flat", async () => {
    // Under 1 MB of gzip holding 256 MiB of zeros as a database file: memory grew with the unpacked size (a 1 GiB
    // one peaked at 1.27 GB RSS) when the file was read whole and unpacked from memory.
    const root = testTempDir("tb-restore-");
    const source = join(root, "source");
    mkdirSync(join(source, "base", "1"), { recursive: true });
    writeFileSync(join(source, "PG_VERSION"), "17\n");
    writeFileSync(join(source, "base", "1", "big"), "");
    truncateSync(join(source, "base", "1", "big"), 256 * MIB);
    const from = join(root, "bomb.tar.gz");
    await tar.c({ cwd: source, gzip: true, file: from }, ["PG_VERSION", "base"]);
    expect(statSync(from).size).toBeLessThan(2 * MIB);

    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    try {
      await expect(
        restoreEmbeddedBackup({
          from,
          dataDir: join(root, "data"),
          replace: false,
          now: NOW,
          maxUnpackedBytes: 16 * MIB,
        }),
      ).rejects.toMatchObject({
        code: "VALIDATION",
        message: "not restored: the backup unpacks to more than 16 MiB, the most this restore may write",
      });
    } finally {
      clearInterval(sampler);
    }
    expect((peak - before) / MIB).toBeLessThan(100);
    expect(readdirSync(root).sort()).toEqual(["bomb.tar.gz", "source"]);
  });
});
