import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../test/helpers/test-server.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { type DatabaseHandle, openDatabase, type OpenDatabaseOptions } from "../db/open-database.ts";

// serve's connections wait at most DATABASE_LOCK_TIMEOUT_MS for a lock (docs/operations.md): a request whose
// row another session holds (a `psql` transaction left open) is answered 503 with Retry-After, and its
// connection serves the next request, instead of the request waiting as long as the holder does. A statement
// the database cancels (DATABASE_URL's statement_timeout, pg_cancel_backend) is a 503 as well, not a 500.
// PostgreSQL only: PGlite has one session, so no other connection can hold a lock while a request waits (a
// socket client's transaction holds the whole session: ARCHITECTURE.md, "Many processes"), and it accepts
// lock_timeout and statement_timeout without enforcing them.

const url = process.env["DATABASE_URL"];

/** A server on a schema of its own, its pool opened with `options`, and a second connection to hold locks. */
function serverWith(options: { url: string } & Pick<OpenDatabaseOptions, "lockTimeoutMs">) {
  const schema = `tb_test_${randomBytes(6).toString("hex")}`;
  const world = {} as { admin: DatabaseHandle; handle: DatabaseHandle; server: TestServer };
  beforeAll(async () => {
    world.admin = await openDatabase({ url: url!, poolSize: 2 });
    await sql.raw(`CREATE SCHEMA ${schema}`).execute(world.admin.db);
    world.handle = await openDatabase({ ...options, schema, poolSize: 2 });
    await migrateToLatest(world.handle.db);
    world.server = await startTestServer(world.handle.db);
  });
  afterAll(async () => {
    await world.server?.close();
    await world.handle?.close();
    if (world.admin) await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(world.admin.db);
    await world.admin?.close();
  });

  /** A customer whose row another session locks while `rename` changes it; then renamed once more, unlocked. */
  async function renameWhileLocked(email: string) {
    const created = await world.server.api("POST", "/api/v1/customers", {
      email,
      name: "Before",
      country: "GB",
      currency: "USD",
    });
    expect(created.status).toBe(201);
    const id = created.body.data.id as number;
    // The signal only ends a request that would otherwise wait as long as the lock lasts.
    const rename = async (name: string) => {
      const response = await fetch(`${world.server.url}/api/v1/customers/${id}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ name }),
        signal: AbortSignal.timeout(20_000),
      });
      return {
        status: response.status,
        retryAfter: response.headers.get("retry-after"),
        body: await response.json(),
      };
    };
    const blocked = await world.admin.db.transaction().execute(async (trx) => {
      await sql`select id from ${sql.table(`${schema}.customer`)} where id = ${id} for update`.execute(trx);
      return rename("During");
    });
    return { blocked, after: await rename("After") };
  }
  return { renameWhileLocked };
}

describe.runIf(url)("a request behind a row lock held by another session", () => {
  const { renameWhileLocked } = serverWith({ url: url!, lockTimeoutMs: 200 });

  it("answers 503 with Retry-After while the row is locked, and the change goes through once it is not", async () => {
    const { blocked, after } = await renameWhileLocked("locked@example.com");
    expect([blocked.status, blocked.retryAfter, blocked.body.error.code]).toEqual([
      503,
      "5",
      "UPSTREAM_UNAVAILABLE",
    ]);
    expect(blocked.body.error.message).toBe(
      "the database: is busy: a row or table this needs stayed locked by another session; try again shortly",
    );
    expect([after.status, after.body.data.name]).toEqual([200, "After"]);
  }, 60_000);
});

describe.runIf(url)("a request whose statement the database cancels", () => {
  // No lock_timeout: the wait behind the lock is what outlives statement_timeout.
  const limited = `${url}${url?.includes("?") ? "&" : "?"}statement_timeout=300`;
  const { renameWhileLocked } = serverWith({ url: limited, lockTimeoutMs: 0 });

  it("answers 503 with Retry-After naming statement_timeout, and the next request is served", async () => {
    const { blocked, after } = await renameWhileLocked("cancelled@example.com");
    expect([blocked.status, blocked.retryAfter, blocked.body.error.code]).toEqual([
      503,
      "5",
      "UPSTREAM_UNAVAILABLE",
    ]);
    expect(blocked.body.error.message).toBe(
      "the database: stopped a statement before it finished (its statement_timeout, or an operator cancelled it); try again",
    );
    expect([after.status, after.body.data.name]).toEqual([200, "After"]);
  }, 60_000);
});
