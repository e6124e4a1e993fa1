import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../test/helpers/test-server.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { type DatabaseHandle, openDatabase } from "../db/open-database.ts";

// serve's connections wait at most DATABASE_LOCK_TIMEOUT_MS for a lock (docs/operations.md): a request whose
// row another session holds (a `psql` transaction left open) is answered 503 with Retry-After, and its
// connection serves the next request, instead of the request waiting as long as the holder does.
// PostgreSQL only: PGlite has one session, so no other connection can hold a lock while a request waits (a
// socket client's transaction holds the whole session: ARCHITECTURE.md, "Many processes"), and it accepts
// lock_timeout and statement_timeout without enforcing them.

const url = process.env["DATABASE_URL"];

describe.runIf(url)("a request behind a row lock held by another session", () => {
  const schema = `tb_test_${randomBytes(6).toString("hex")}`;
  let admin: DatabaseHandle;
  let handle: DatabaseHandle;
  let server: TestServer;

  beforeAll(async () => {
    admin = await openDatabase({ url: url!, poolSize: 2 });
    await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
    handle = await openDatabase({ url: url!, schema, poolSize: 2, lockTimeoutMs: 200 });
    await migrateToLatest(handle.db);
    server = await startTestServer(handle.db);
  });
  afterAll(async () => {
    await server?.close();
    await handle?.close();
    await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(admin.db);
    await admin?.close();
  });

  /** PATCH the customer; the signal only ends a request that would otherwise wait as long as the lock lasts. */
  async function rename(id: number, name: string) {
    const response = await fetch(`${server.url}/api/v1/customers/${id}`, {
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
  }

  it("answers 503 with Retry-After while the row is locked, and the change goes through once it is not", async () => {
    const created = await server.api("POST", "/api/v1/customers", {
      email: "locked@example.com",
      name: "Before",
      country: "GB",
      currency: "USD",
    });
    expect(created.status).toBe(201);
    const id = created.body.data.id as number;

    const blocked = await admin.db.transaction().execute(async (trx) => {
      await sql`select id from ${sql.table(`${schema}.customer`)} where id = ${id} for update`.execute(trx);
      return rename(id, "During");
    });
    expect([blocked.status, blocked.retryAfter, blocked.body.error.code]).toEqual([
      503,
      "5",
      "UPSTREAM_UNAVAILABLE",
    ]);
    expect(blocked.body.error.message).toBe(
      "the database: is busy: a row or table this needs stayed locked by another session; try again shortly",
    );

    const after = await rename(id, "After");
    expect([after.status, after.body.data.name]).toEqual([200, "After"]);
  }, 60_000);
});

// DATABASE_URL's `statement_timeout` (docs/operations.md suggests one) or an operator's pg_cancel_backend
// stops a statement with 57014: a 503 naming the setting, not a 500 with a stack in the log.
describe.runIf(url)("a request whose statement the database cancels", () => {
  const schema = `tb_test_${randomBytes(6).toString("hex")}`;
  let admin: DatabaseHandle;
  let handle: DatabaseHandle;
  let server: TestServer;

  beforeAll(async () => {
    admin = await openDatabase({ url: url!, poolSize: 2 });
    await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
    const limited = `${url!}${url!.includes("?") ? "&" : "?"}statement_timeout=300`;
    // No lock_timeout: the wait behind the lock below is what outlives statement_timeout.
    handle = await openDatabase({ url: limited, schema, poolSize: 2, lockTimeoutMs: 0 });
    await migrateToLatest(handle.db);
    server = await startTestServer(handle.db);
  });
  afterAll(async () => {
    await server?.close();
    await handle?.close();
    await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(admin.db);
    await admin?.close();
  });

  it("answers 503 with Retry-After naming statement_timeout, and the next request is served", async () => {
    const created = await server.api("POST", "/api/v1/customers", {
      email: "cancelled@example.com",
      name: "Before",
      country: "GB",
      currency: "USD",
    });
    expect(created.status).toBe(201);
    const id = created.body.data.id as number;
    const rename = async (name: string) => {
      const response = await fetch(`${server.url}/api/v1/customers/${id}`, {
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

    const cancelled = await admin.db.transaction().execute(async (trx) => {
      await sql`select id from ${sql.table(`${schema}.customer`)} where id = ${id} for update`.execute(trx);
      return rename("During");
    });
    expect([cancelled.status, cancelled.retryAfter, cancelled.body.error.code]).toEqual([
      503,
      "5",
      "UPSTREAM_UNAVAILABLE",
    ]);
    expect(cancelled.body.error.message).toBe(
      "the database: stopped a statement before it finished (its statement_timeout, or an operator cancelled it); try again",
    );
    const after = await rename("After");
    expect([after.status, after.body.data.name]).toEqual([200, "After"]);
  }, 60_000);
});
