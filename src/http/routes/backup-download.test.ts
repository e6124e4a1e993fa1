import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readlinkSync, watch, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pipeline, Transform } from "node:stream";
import { gunzipSync } from "node:zlib";
import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../../test/helpers/test-server.ts";
import { type CommandDataDir, commandDataDir } from "../../../test/helpers/tokenbill-command.ts";
import { WAIT_CEILING_MS, waitUntil } from "../../../test/helpers/wait-until.ts";
import { SPOOL_PREFIX } from "../../db/backup-spool.ts";
import { restoreEmbeddedBackup } from "../../db/embedded-backup.ts";
import { migrateToLatest } from "../../db/migrate.ts";
import { type DatabaseHandle, openDatabase } from "../../db/open-database.ts";

// GET /api/v1/backup of a DATA_DIR, as serve answers it (docs/operations.md, "Backups"): made into a spool file
// while the database is held, then streamed from it. A client that goes away stops it and leaves nothing
// behind; a failure once bytes are out ends the connection, so the client never holds a short archive that
// looks whole. One database for the file (PGlite only: PostgreSQL's backup is refused, backup-routes.db.test.ts).

const MIB = 1024 * 1024;
let data: CommandDataDir | undefined;
let root: string;
let dataDir: string;
let handle: DatabaseHandle;
let server: TestServer;
const logged: { level: number; msg: string }[] = [];
/** Called with each line the server logs, after it is kept in `logged`. */
const onLogged = new Set<() => void>();

beforeAll(async () => {
  // A copy of the run's migrated database: a new one ran initdb and every migration first (some 7 s).
  data = await commandDataDir();
  dataDir = data.dir;
  root = dirname(dataDir);
  handle = await openDatabase({ dataDir });
  await migrateToLatest(handle.db);
  await sql`INSERT INTO customer (email, name, country, currency_code)
            VALUES ('ada@example.com', 'Ada', 'GB', 'USD')`.execute(handle.db);
  // Incompressible: the archive is far larger than the socket's buffers, and takes a while to compress.
  writeFileSync(join(dataDir, "base", "ballast-random"), randomBytes(32 * MIB));
  const logger = pino(
    { level: "info" },
    {
      write: (line: string) => {
        logged.push(JSON.parse(line));
        for (const heard of onLogged) heard();
      },
    },
  );
  server = await startTestServer(handle.db, {}, { backup: handle.backup!, logger });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await handle?.close();
  data?.remove();
});

const download = (url = server.url, signal?: AbortSignal) =>
  fetch(`${url}/api/v1/backup`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` }, signal });

/** Spool files still in DATA_DIR, or still open in this process (unlinked, their space not yet freed). */
function spoolsLeft(): string[] {
  const named = readdirSync(dataDir).filter((name) => name.startsWith(SPOOL_PREFIX));
  const fds = existsSync("/proc/self/fd") ? readdirSync("/proc/self/fd") : [];
  const open = fds
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return ""; // closed meanwhile (readdir's own descriptor, say)
      }
    })
    .filter((target) => target.includes(SPOOL_PREFIX));
  return [...named, ...open];
}

/**
 * Waits for the spools to be gone, named and open alike. Polled: a file descriptor closed by the server gives
 * this test no event to wait on.
 */
const nothingLeft = () =>
  waitUntil(
    () => `the backup spool to be removed and closed (still there: ${spoolsLeft().join(", ")})`,
    () => spoolsLeft().length === 0,
  );

/**
 * Resolves once the server logs a line whose msg is `msg` (at once if it has), heard as the logger writes it;
 * rejects after `withinMs` naming it and the lines logged so far.
 */
function whenLogged(msg: string, withinMs = WAIT_CEILING_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const heard = () => {
      if (!logged.some((line) => line.msg === msg)) return;
      clearTimeout(ceiling);
      onLogged.delete(heard);
      resolve();
    };
    const ceiling = setTimeout(() => {
      onLogged.delete(heard);
      reject(
        new Error(
          `waited ${withinMs} ms for the log line "${msg}"; logged: ${logged.map((l) => l.msg).join(" | ")}`,
        ),
      );
    }, withinMs);
    onLogged.add(heard);
    heard();
  });
}

/**
 * Resolves once a spool file is made in DATA_DIR, heard from the directory's change events (made before the
 * request, so none is missed); rejects after `withinMs`. The spool is named there while the archive is
 * written into it, and unlinked once it is whole.
 */
function whenSpoolMade(withinMs = WAIT_CEILING_MS): Promise<void> {
  const watcher = watch(dataDir);
  let ceiling: NodeJS.Timeout | undefined;
  return new Promise<void>((resolve, reject) => {
    watcher.on("change", (_event, name) => {
      if (String(name).startsWith(SPOOL_PREFIX)) resolve();
    });
    watcher.on("error", reject);
    ceiling = setTimeout(
      () => reject(new Error(`waited ${withinMs} ms for a backup spool (${SPOOL_PREFIX}…) in ${dataDir}`)),
      withinMs,
    );
  }).finally(() => {
    clearTimeout(ceiling);
    watcher.close();
  });
}

const backupAudits = async () =>
  Number(
    (
      await sql<{
        n: string;
      }>`SELECT count(*)::text AS n FROM audit_log WHERE action = 'database.backup'`.execute(handle.db)
    ).rows[0]?.n,
  );

/** Reads a body to its end or its failure: the bytes that came, and how it ended. */
async function readAll(answer: Response): Promise<{ bytes: Buffer; error?: unknown }> {
  const parts: Uint8Array[] = [];
  const reader = answer.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: Buffer.concat(parts) };
      parts.push(value);
    }
  } catch (error) {
    return { bytes: Buffer.concat(parts), error };
  }
}

describe("GET /api/v1/backup of a DATA_DIR, streamed", () => {
  it("answers an archive of the length it announced that restores, audited, and leaves no spool", async () => {
    const before = await backupAudits();
    const answer = await download();
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/gzip");
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(answer.headers.get("content-disposition")).toMatch(
      /^attachment; filename="tokenbill-backup-\d{8}T\d{6}Z\.tar\.gz"$/,
    );
    const { bytes, error } = await readAll(answer);
    expect(error).toBeUndefined();
    expect(bytes.byteLength).toBe(Number(answer.headers.get("content-length")));
    const from = join(root, "downloaded.tar.gz");
    writeFileSync(from, bytes);
    const restored = await restoreEmbeddedBackup({
      from,
      dataDir: join(root, "restored"),
      replace: false,
      now: new Date(),
    });
    expect(restored.counts).toEqual({ customers: 1, invoices: 0, payments: 0 });
    expect(await backupAudits()).toBe(before + 1);
    await nothingLeft();
  });

  it("stops the backup being made when the client goes away, and the next one is whole", async () => {
    const before = await backupAudits();
    const leaving = new AbortController();
    // The spool appears once the database is held and the archive is being written into it.
    const spoolMade = whenSpoolMade();
    const answered = download(server.url, leaving.signal).catch((error: unknown) => error);
    await spoolMade;
    leaving.abort();
    expect(await answered).toMatchObject({ name: "AbortError" });
    await nothingLeft();
    // Not audited: no backup was taken. And the database is free again (the transaction ended).
    expect(await backupAudits()).toBe(before);
    // A client going away is no failure: one line, not an error with its stack. Said as the handler ends, which
    // may be after the spool is gone (a fresh-clone CI run of 2026-12-05 22:22 read the log before it).
    await whenLogged("the client went away; its request was stopped");
    expect(logged.filter((line) => line.level >= 50)).toEqual([]);
    const next = await download();
    const { bytes, error } = await readAll(next);
    expect(error).toBeUndefined();
    expect(bytes.byteLength).toBe(Number(next.headers.get("content-length")));
    expect(gunzipSync(bytes).subarray(257, 262).toString()).toBe("ustar");
  });

  it("closes the spool when the client goes away in the middle of the download", async () => {
    const leaving = new AbortController();
    const answer = await download(server.url, leaving.signal);
    expect(answer.status).toBe(200);
    const reader = answer.body!.getReader();
    const first = await reader.read();
    expect(first.value!.byteLength).toBeLessThan(Number(answer.headers.get("content-length")));
    leaving.abort();
    await nothingLeft();
    const next = await readAll(await download());
    expect(next.error).toBeUndefined();
    expect(gunzipSync(next.bytes).subarray(257, 262).toString()).toBe("ustar");
  });

  it("ends the connection when the archive fails after its first bytes: the client sees a failed download", async () => {
    // The disk failing under the spool, say: the stream errors once 1 MiB has gone out.
    const failing = await startTestServer(
      handle.db,
      {},
      {
        backup: async (signal) => {
          const made = await handle.backup!(signal);
          let passed = 0;
          const failAfterAMiB = new Transform({
            transform(chunk: Buffer, _encoding, done) {
              passed += chunk.byteLength;
              done(passed > MIB ? new Error("read error") : null, chunk);
            },
          });
          return { bytes: made.bytes, stream: pipeline(made.stream, failAfterAMiB, () => {}) };
        },
      },
    );
    try {
      const answer = await download(failing.url);
      expect(answer.status).toBe(200);
      const { bytes, error } = await readAll(answer);
      expect(error).toBeDefined();
      expect(bytes.byteLength).toBeGreaterThan(0);
      expect(bytes.byteLength).toBeLessThan(Number(answer.headers.get("content-length")));
      expect(() => gunzipSync(bytes)).toThrow();
      await nothingLeft();
    } finally {
      await failing.close();
    }
  });
});
