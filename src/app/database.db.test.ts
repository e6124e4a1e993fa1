import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { urlWithSchema } from "../../test/helpers/serve-process.ts";
import { parseConfig } from "../config.ts";
import { warningFor } from "../db/autovacuum-check.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { openMigratedDatabase } from "./database.ts";

// The database as `serve` and the commands open it from the configuration. On PostgreSQL the pool opens at
// most DATABASE_POOL_SIZE connections: what an operator sizes max_connections by, for every instance.

const url = process.env["DATABASE_URL"];
let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

describe.runIf(url)("openMigratedDatabase on PostgreSQL", () => {
  it("opens at most DATABASE_POOL_SIZE connections, however many statements wait", async () => {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db);
    const config = parseConfig({
      DATABASE_URL: urlWithSchema(url!, rows[0]!.schema),
      DATABASE_POOL_SIZE: "3",
    });
    const opened = await openMigratedDatabase(config, pino({ level: "silent" }));
    try {
      // Eight statements at once, each holding its connection for a moment: they share three backends.
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.1)`.execute(opened.db),
        ),
      );
      const backends = new Set(answers.map((a) => a.rows[0]!.pid));
      expect(backends.size).toBe(3);
      // Named for whoever reads pg_stat_activity (the URL sets none here).
      const named = await sql<{ name: string }>`
        select application_name as name from pg_stat_activity where pid = pg_backend_pid()`.execute(
        opened.db,
      );
      expect(named.rows[0]!.name).toBe("tokenbill");
    } finally {
      await opened.close();
    }
  });

  it("warns of autovacuum off when opened for serve, and never for a command", async () => {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db);
    const config = parseConfig({ DATABASE_URL: urlWithSchema(url!, rows[0]!.schema) });
    const warningsWhenOpened = async (serve: boolean) => {
      const lines: string[] = [];
      const logger = pino(
        { level: "warn" },
        { write: (line: string) => void lines.push(JSON.parse(line).msg) },
      );
      await (await openMigratedDatabase(config, logger, serve)).close();
      return lines;
    };
    const setting = (await sql<{ setting: string }>`show autovacuum`.execute(handle.db)).rows[0]!.setting;
    const expected = warningFor(setting);
    expect(await warningsWhenOpened(true)).toEqual(expected === undefined ? [] : [expected]);
    // Every command printed it on stderr before, where docs/configuration.md says serve warns at start.
    expect(await warningsWhenOpened(false)).toEqual([]);
  });

  it("bounds serve's lock waits by DATABASE_LOCK_TIMEOUT_MS (10 s unless set), and no command's", async () => {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db);
    const lockTimeout = async (settings: Record<string, string>, serve: boolean) => {
      const config = parseConfig({ DATABASE_URL: urlWithSchema(url!, rows[0]!.schema), ...settings });
      const opened = await openMigratedDatabase(config, pino({ level: "silent" }), serve);
      try {
        return (await sql<{ lock_timeout: string }>`show lock_timeout`.execute(opened.db)).rows[0]!
          .lock_timeout;
      } finally {
        await opened.close();
      }
    };
    expect(await lockTimeout({}, true)).toBe("10s");
    expect(await lockTimeout({ DATABASE_LOCK_TIMEOUT_MS: "2500" }, true)).toBe("2500ms");
    // 0: serve sets none, and the server's own (0, no limit, unless the role or DATABASE_URL sets one) holds.
    expect(await lockTimeout({ DATABASE_LOCK_TIMEOUT_MS: "0" }, true)).toBe("0");
    // A command (billing run, migrate) waits as long as the server lets it, as before.
    expect(await lockTimeout({}, false)).toBe("0");
  });
});
