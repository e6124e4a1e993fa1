import { Writable } from "node:stream";
import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { parseConfig } from "../config.ts";
import { LATEST_MIGRATION } from "../db/migrate.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { buildServer } from "../http/server.ts";
import { createLogger } from "../logger.ts";
import { startNewerSchemaWatch } from "./newer-schema-watch.ts";

// An old instance left running while a newer version migrates (docs/operations.md, "Starting and upgrading"):
// its schema watch finds the migration it does not know, says so once, stops the background work (onNewer;
// serve stops its runners, schedules and housekeeping there) and /readyz answers 503. Until 2026-12-06 only
// a start checked, and a running instance went on writing to the newer schema.

const NEWER = "999-from-a-newer-version";
let handle: DatabaseHandle;
let log = "";

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(() => handle?.close());

it("notices a migration added by a newer version: one error naming it, the background stopped, /readyz 503", async () => {
  const config = parseConfig({ LOG_LEVEL: "info" });
  const logger = createLogger(
    config,
    new Writable({
      write(chunk, _encoding, done) {
        log += String(chunk);
        done();
      },
    }),
  );
  const stopped: (readonly string[])[] = [];
  const watch = startNewerSchemaWatch({
    db: handle.db,
    logger,
    now: () => new Date(),
    onNewer: async (newer) => {
      stopped.push(newer);
    },
  });
  const app = await buildServer({ config, db: handle.db, logger, newerSchema: watch.newer });
  try {
    await watch.check();
    expect(watch.newer()).toBeUndefined();
    expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);

    // What a newer version's migration leaves in the table, written by hand.
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES (${NEWER}, ${new Date().toISOString()})`.execute(
      handle.db,
    );
    await watch.check();
    await watch.check();
    expect(watch.newer()).toEqual([NEWER]);
    expect(stopped).toEqual([[NEWER]]);
    const errors = log
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { level: number; msg: string; migrations?: string[] })
      .filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ migrations: [NEWER] });
    expect(errors[0]!.msg).toContain(
      `this database was migrated by a newer version of tokenbill: it has migration ${NEWER}, which this version ` +
        `does not know (the last it knows is ${LATEST_MIGRATION}). This instance stops its job runner`,
    );

    const ready = await app.inject({ method: "GET", url: "/readyz" });
    expect([ready.statusCode, ready.json()]).toEqual([
      503,
      { status: "unavailable", reason: "database migrated by a newer version of tokenbill" },
    ]);
  } finally {
    await sql`DELETE FROM kysely_migration WHERE name = ${NEWER}`.execute(handle.db);
    await watch.stop();
    await app.close();
  }
});
