import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { databaseTraits } from "./database-traits.ts";
import { type DatabaseHandle, openDatabase } from "./open-database.ts";

// What work spread over connections (a billing run's finalizing) learns of the handle it was given.

const handles: DatabaseHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close()));
});

describe("database traits", () => {
  describe("of a PGlite that open-database made", () => {
    // One for both tests (each new one runs initdb, seconds on a loaded machine): the first only reads its
    // traits, and the second ends with no turn waiting, as it started.
    let handle: DatabaseHandle;
    beforeAll(async () => {
      handle = await openDatabase({ memory: true });
    });
    afterAll(() => handle?.close());

    it("PGlite is one session: no server to wait on locks in, one connection", () => {
      expect(databaseTraits(handle.db)).toMatchObject({ server: false, connections: 1 });
    });

    it("PGlite counts the turns waiting for its session (what a long job gives way to, give-way.ts)", async () => {
      const turns = databaseTraits(handle.db).turns!;
      expect(turns.waiting()).toBe(0);
      let queued: Promise<unknown> | undefined;
      await handle.db.transaction().execute(async (trx) => {
        await sql`SELECT 1`.execute(trx);
        // Outside the transaction: it waits for the session until the transaction ends.
        queued = sql`SELECT 2`.execute(handle.db);
        await sql`SELECT 3`.execute(trx);
        expect(turns.waiting()).toBe(1);
      });
      await queued;
      expect(turns.waiting()).toBe(0);
    });
  });

  it("a transaction, or any handle open-database did not make, counts as PGlite", async () => {
    const handle = await createTestDatabase();
    handles.push(handle);
    const inside = await handle.db.transaction().execute(async (trx) => databaseTraits(trx));
    expect(inside).toEqual({ server: false, connections: 1 });
  });

  it.skipIf(!process.env["DATABASE_URL"])("a PostgreSQL pool is a server with its pool's size", async () => {
    const handle = await openDatabase({ url: process.env["DATABASE_URL"]!, poolSize: 3 });
    handles.push(handle);
    expect(databaseTraits(handle.db)).toMatchObject({ server: true, connections: 3 });
    // Named statements by default: the pool's state, which the metrics read.
    expect(databaseTraits(handle.db).namedStatements).toMatchObject({ naming: true, generation: 0 });
    const defaulted = await openDatabase({ url: process.env["DATABASE_URL"]! });
    handles.push(defaulted);
    expect(databaseTraits(defaulted.db).connections).toBe(10);
    const unnamed = await openDatabase({ url: process.env["DATABASE_URL"]!, namedStatements: false });
    handles.push(unnamed);
    expect(databaseTraits(unnamed.db)).toEqual({ server: true, connections: 10 });
  });
});
