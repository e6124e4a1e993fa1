import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LATEST_MIGRATION } from "../../src/db/migrate.ts";
import { openDatabase } from "../../src/db/open-database.ts";
import { type CommandDataDir, commandDataDir, tokenbillCommand } from "../helpers/tokenbill-command.ts";

// A tokenbill older than the database's migrations (a rollback, an instance left on the old version during
// an upgrade) refuses to start and says why, and it stops: until 2026-12-02 `serve` printed the error and
// then kept running, its embedded database's socket and lock still open.

const REFUSAL =
  "error: this database was migrated by a newer version of tokenbill: it has migration 019-from-a-newer-version, " +
  `which this version does not know (the last it knows is ${LATEST_MIGRATION}). Run that version or a later one.`;

let data: CommandDataDir;

beforeAll(async () => {
  data = await commandDataDir();
  const handle = await openDatabase({ dataDir: data.dir });
  try {
    await sql`SELECT 1`.execute(handle.db);
    // An unmigrated copy (no template in this run) has no bookkeeping table yet.
    await sql`CREATE TABLE IF NOT EXISTS kysely_migration (name varchar(255) PRIMARY KEY, timestamp varchar(255) NOT NULL)`.execute(
      handle.db,
    );
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('019-from-a-newer-version', now()::text)`.execute(
      handle.db,
    );
  } finally {
    await handle.close();
  }
});
afterAll(() => data?.remove());

describe("a database migrated by a newer tokenbill", () => {
  it("makes serve and every command say so and exit with code 4, leaving the data directory free", async () => {
    const env = { DATA_DIR: data.dir, PORT: "0", TOKENBILL_SANDBOX: "off", LOG_FORMAT: "json" };
    const served = await tokenbillCommand(["serve"], env, { timeoutMs: 60_000 });
    expect(served.code).toBe(4);
    expect(served.stderr.trim().split("\n").at(-1)).toBe(REFUSAL);
    // And in its JSON log on stdout, at error: before, that log ended at "starting tokenbill".
    const log = served.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(log.at(-1)).toEqual(
      expect.objectContaining({
        level: 50,
        code: "CONFLICT",
        msg: `tokenbill did not start: ${REFUSAL.replace(/^error: /, "")}`,
      }),
    );
    // The lock went with serve: a command opens the directory itself and is refused the same way.
    const migrate = await tokenbillCommand(["migrate"], env, { timeoutMs: 60_000 });
    expect(migrate.code).toBe(4);
    expect(migrate.stderr.trim()).toBe(REFUSAL);
    // Every other command that opens the database migrates it first, so it refuses before any verb runs.
    const list = await tokenbillCommand(["apikey", "list"], env, { timeoutMs: 60_000 });
    expect([list.code, list.stderr.trim()]).toEqual([4, REFUSAL]);
  }, 120_000);
});
