import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.ts";
import { DatabaseUnreachableError } from "../../src/db/database-outage.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { type DatabaseHandle, openDatabase } from "../../src/db/open-database.ts";
import { buildServer } from "../../src/http/server.ts";
import { loggerOptions } from "../../src/logger.ts";
import { tokenbillCommand } from "../helpers/tokenbill-command.ts";
import { TEST_ADMIN_KEY } from "../helpers/test-server.ts";

// A database closed to logins for maintenance (`ALTER DATABASE … ALLOW_CONNECTIONS false`): PostgreSQL answers
// every new connection with SQLSTATE 55000, "database … is not currently accepting connections". Until
// 2026-12-04 that was not read as an outage: the admin API answered 500 INTERNAL with a stack in the log, a
// command exited 1 with a stack. PostgreSQL only. The ALTER runs from a second scratch database, as a
// database cannot close itself to the session that is in it.

const url = process.env["DATABASE_URL"];
const PORT = 4531;

describe.runIf(url)("a database that is not accepting connections", () => {
  const suffix = randomBytes(4).toString("hex");
  const closedName = `tb_closed_${suffix}`;
  const adminName = `tb_closer_${suffix}`;
  const at = (database: string) => {
    const u = new URL(url!);
    u.pathname = `/${database}`;
    return u.toString();
  };
  let root: DatabaseHandle;
  let closer: DatabaseHandle;
  let handle: DatabaseHandle;
  let app: FastifyInstance;
  const logLines: { level: number; msg: string; reason?: string }[] = [];

  beforeAll(async () => {
    root = await openDatabase({ url: url!, poolSize: 1 });
    await sql.raw(`CREATE DATABASE ${closedName}`).execute(root.db);
    await sql.raw(`CREATE DATABASE ${adminName}`).execute(root.db);
    closer = await openDatabase({ url: at(adminName), poolSize: 1 });
    handle = await openDatabase({ url: at(closedName), poolSize: 2 });
    await migrateToLatest(handle.db);
    const logs = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n")) if (line) logLines.push(JSON.parse(line));
        done();
      },
    });
    const config = parseConfig({ TOKENBILL_ADMIN_API_KEY: TEST_ADMIN_KEY, PORT, LOG_LEVEL: "warn" });
    app = await buildServer({
      config,
      db: handle.db,
      logger: pino(loggerOptions({ LOG_LEVEL: "warn" }), logs),
    });
    await app.listen({ host: "127.0.0.1", port: PORT });
  });
  afterAll(async () => {
    await app?.close();
    await handle?.close();
    await closer?.close();
    await sql.raw(`DROP DATABASE IF EXISTS ${closedName} WITH (FORCE)`).execute(root.db);
    await sql.raw(`DROP DATABASE IF EXISTS ${adminName} WITH (FORCE)`).execute(root.db);
    await root?.close();
  });

  const customers = () =>
    fetch(`http://127.0.0.1:${PORT}/api/v1/customers`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });

  it("answers 503 with Retry-After, fails statements as unreachable, a command exits 6; then recovers", async () => {
    expect((await customers()).status).toBe(200);
    await sql.raw(`ALTER DATABASE ${closedName} ALLOW_CONNECTIONS false`).execute(closer.db);
    try {
      // Maintenance also ends the sessions already in (else the pool would keep using them).
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${closedName}`.execute(
        closer.db,
      );
      // A pooled connection's end is noticed when it is next used ("connection lost", one answer per pooled
      // connection, in whichever order the pool hands them out): ask until only new logins are left.
      const answer = async () => {
        const response = await customers();
        return {
          status: response.status,
          retryAfter: response.headers.get("retry-after"),
          error: (await response.json()).error,
        };
      };
      await expect
        .poll(answer, { interval: 50 })
        .toMatchObject({ error: { message: expect.stringContaining("not accepting connections") } });
      expect(await answer()).toMatchObject({
        status: 503,
        retryAfter: "5",
        error: {
          code: "UPSTREAM_UNAVAILABLE",
          message:
            "the database: cannot be reached (the database is not accepting connections); try again shortly",
        },
      });
      // What GetTokenPricing's check, a job's claim and every verb receive: the outage type (an UpstreamError).
      const failure = await sql`select 1`.execute(handle.db).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(DatabaseUnreachableError);

      const command = await tokenbillCommand(["apikey", "list"], { DATABASE_URL: at(closedName) });
      expect(command.code).toBe(6);
      expect(command.stderr).toContain(
        "the database: cannot be reached (the database is not accepting connections)",
      );
      expect(command.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await sql.raw(`ALTER DATABASE ${closedName} ALLOW_CONNECTIONS true`).execute(closer.db);
    }
    expect((await customers()).status).toBe(200);
    // Warnings naming the cause, never an error with a stack.
    expect(logLines.filter((line) => line.level >= 50)).toEqual([]);
    expect(logLines.some((line) => line.msg === "upstream unavailable")).toBe(true);
  });
});
