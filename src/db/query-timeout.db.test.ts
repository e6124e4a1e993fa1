import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { relayPostgres, type TcpProxy } from "../../test/helpers/tcp-proxy.ts";
import { DatabaseUnreachableError } from "./database-outage.ts";
import { type DatabaseHandle, openDatabase } from "./open-database.ts";

// DATABASE_URL's `query_timeout` (node-postgres's, in milliseconds) against a database that stops answering
// on an open connection: the statement fails as an outage, and the connection is replaced rather than handed
// out again with the unanswered statement still in front of the next one. PostgreSQL only.

const url = process.env["DATABASE_URL"];

describe.runIf(url)("query_timeout on a connection that fell silent", () => {
  let admin: DatabaseHandle;
  let proxy: TcpProxy;
  let handle: DatabaseHandle;
  const schema = `tb_test_${randomBytes(6).toString("hex")}`;

  beforeAll(async () => {
    admin = await openDatabase({ url: url!, poolSize: 1 });
    await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
    const relay = await relayPostgres(url!);
    proxy = relay.proxy;
    const limited = new URL(relay.url);
    limited.searchParams.set("query_timeout", "300");
    limited.searchParams.set("connect_timeout", "2");
    // One connection: the statement after the silent one gets the same pool slot.
    handle = await openDatabase({ url: limited.toString(), schema, poolSize: 1 });
  });
  afterAll(async () => {
    await handle?.close();
    await proxy?.close();
    await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(admin.db);
    await admin?.close();
  });

  it("fails the statement as an outage, drops its connection, and works again once the database answers", async () => {
    expect((await sql<{ n: number }>`select 1 as n`.execute(handle.db)).rows).toEqual([{ n: 1 }]);
    proxy.stall();
    const silent = await sql`select 1`.execute(handle.db).catch((error: unknown) => error);
    expect(silent).toBeInstanceOf(DatabaseUnreachableError);
    expect((silent as Error).message).toBe("cannot be reached (no answer in time); try again shortly");
    // The silent connection is gone: the next statement asks for a new one (which the stalled network holds
    // until connect_timeout), instead of queueing behind the unanswered statement on the old one.
    const next = await sql`select 1`.execute(handle.db).catch((error: unknown) => error);
    expect(next).toBeInstanceOf(DatabaseUnreachableError);
    expect((next as Error).message).toBe("cannot be reached (timed out connecting); try again shortly");
    proxy.restore();
    expect((await sql<{ n: number }>`select 2 as n`.execute(handle.db)).rows).toEqual([{ n: 2 }]);
  }, 30_000);
});
