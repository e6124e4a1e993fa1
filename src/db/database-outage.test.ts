import { createServer, type Socket } from "node:net";
import { sql } from "kysely";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { asServiceError } from "../kernel/errors.ts";
import {
  connectTimeoutMs,
  DatabaseRefusedError,
  DatabaseUnreachableError,
  DEFAULT_CONNECT_TIMEOUT_MS,
  loginOutageReason,
  loginRefusalReason,
  outageReason,
  reportingOutages,
} from "./database-outage.ts";
import { openDatabase } from "./open-database.ts";

// Which of node-postgres's errors mean "the database could not be reached" (a 503, exit code 6), and which
// are the statement's own (a constraint, a syntax error: left as they are, for the verbs to map or to fail).

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("outageReason", () => {
  it.each([
    [withCode("connect ECONNREFUSED 10.0.0.5:5432", "ECONNREFUSED"), "connection refused"],
    [withCode("read ECONNRESET", "ECONNRESET"), "connection lost"],
    [withCode("getaddrinfo ENOTFOUND db.internal", "ENOTFOUND"), "host name not found"],
    [
      withCode("terminating connection due to administrator command", "57P01"),
      "the server ended the connection",
    ],
    [withCode("the database system is starting up", "57P03"), "the server is starting up or shutting down"],
    [withCode("sorry, too many clients already", "53300"), "too many connections"],
    // A standby after a failover: the write reached the old primary.
    [
      withCode("cannot execute INSERT in a read-only transaction", "25006"),
      "the server is read-only (a standby)",
    ],
    [withCode("database dropped", "57P04"), "the database was dropped"],
    [
      withCode("terminating connection due to idle-session timeout", "57P05"),
      "the server ended an idle connection",
    ],
    [withCode("connection failure", "08006"), "connection failure"],
    [new Error("Connection terminated unexpectedly"), "connection lost"],
    [new Error("Connection terminated due to connection timeout"), "timed out connecting"],
    [new Error("timeout exceeded when trying to connect"), "no connection became free in time"],
    [new Error("Client has encountered a connection error and is not queryable"), "connection lost"],
  ])("%s → %s", (error, reason) => {
    expect(outageReason(error)).toBe(reason);
  });

  it.each([
    withCode('duplicate key value violates unique constraint "customer_email_key"', "23505"),
    withCode('syntax error at or near "SELEC"', "42601"),
    withCode("canceling statement due to statement timeout", "57014"),
    // 55000 in a statement is the statement's own: an outage only at login (loginOutageReason).
    withCode('currval of sequence "job_id_seq" is not yet defined in this session', "55000"),
    // Class 08, but the client's mistake: PostgreSQL's answer to a statement of 70,000 parameters.
    withCode("bind message has 4464 parameter formats but 0 parameters", "08P01"),
    new Error("something else"),
  ])("leaves %s alone", (error) => {
    expect(outageReason(error)).toBeUndefined();
  });

  it("is undefined for what is not an Error", () => {
    expect(outageReason({ code: "ECONNREFUSED", message: "connect ECONNREFUSED" })).toBeUndefined();
    expect(outageReason("ECONNREFUSED")).toBeUndefined();
  });
});

describe("loginOutageReason", () => {
  it("reads a login refused because the database takes no connections (maintenance) as an outage", () => {
    const refusal = withCode('database "books" is not currently accepting connections', "55000");
    // Before, no reason: the admin API answered 500 with a stack in the log, a command exited 1.
    expect(loginOutageReason(refusal)).toBe("the database is not accepting connections");
  });

  it("reads every outage of a statement as one of a login too", () => {
    expect(loginOutageReason(withCode("the database system is starting up", "57P03"))).toBe(
      "the server is starting up or shutting down",
    );
  });

  it("leaves a login refused for its password, role or database to loginRefusalReason: a configuration to fix", () => {
    for (const code of ["28P01", "28000", "3D000"]) {
      const refusal = withCode("refused", code);
      expect(loginOutageReason(refusal)).toBeUndefined();
      expect(loginRefusalReason(refusal)).toBeDefined();
    }
  });
});

describe("DatabaseUnreachableError", () => {
  it("reaches adapters as UPSTREAM_UNAVAILABLE naming the database, without the address; the cause keeps it", () => {
    const cause = withCode("connect ECONNREFUSED 10.0.0.5:5432", "ECONNREFUSED");
    const error = new DatabaseUnreachableError("connection refused", cause);
    expect(asServiceError(error)).toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message: "the database: cannot be reached (connection refused); try again shortly",
    });
    expect(error.cause).toBe(cause);
    expect(error.retryable).toBe(true);
  });
});

describe("reportingOutages", () => {
  /** A pool whose connect and query fail as told. */
  function fakePool(fail: { connect?: Error; query?: Error }) {
    const client = {
      query: async () => {
        if (fail.query) throw fail.query;
        return { command: "SELECT", rowCount: 1, rows: [{ one: 1 }] };
      },
      release: (destroy?: boolean) => released.push(destroy),
    };
    const released: (boolean | undefined)[] = [];
    const pool = {
      connect: async () => {
        if (fail.connect) throw fail.connect;
        return client;
      },
      end: async () => {},
    };
    return { pool: pool as unknown as pg.Pool, released };
  }

  it("turns a refused connection into DatabaseUnreachableError", async () => {
    const refused = withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED");
    const { pool } = fakePool({ connect: refused });
    const error = await reportingOutages(pool)
      .connect()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    expect((error as Error).cause).toBe(refused);
  });

  it("turns a database that takes no connections into DatabaseUnreachableError at login, and only there", async () => {
    const refusal = withCode('database "books" is not currently accepting connections', "55000");
    const error = await reportingOutages(fakePool({ connect: refusal }).pool)
      .connect()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    expect(asServiceError(error)).toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message:
        "the database: cannot be reached (the database is not accepting connections); try again shortly",
    });
    const client = await reportingOutages(fakePool({ query: refusal }).pool).connect();
    await expect(client.query("select currval('job_id_seq')", [])).rejects.toBe(refusal);
  });

  it("closes a connection that met a read-only server (a standby after a failover) instead of lending it again", async () => {
    const readOnly = withCode("cannot execute UPDATE in a read-only transaction", "25006");
    const { pool, released } = fakePool({ query: readOnly });
    const client = await reportingOutages(pool).connect();
    await expect(client.query("update job set …", [])).rejects.toBeInstanceOf(DatabaseUnreachableError);
    client.release();
    expect(released).toEqual([true]);
  });

  it("turns a login PostgreSQL refuses into DatabaseRefusedError naming DATABASE_URL, without PostgreSQL's text", async () => {
    for (const [refusal, reason] of [
      [withCode('password authentication failed for user "bob"', "28P01"), "the password was not accepted"],
      [withCode('role "bob" does not exist', "28000"), "the role may not log in"],
      [withCode('database "nonexistentdb" does not exist', "3D000"), "the database does not exist"],
      [new Error("The server does not support SSL connections"), "the server does not speak TLS"],
    ] as const) {
      const error = await reportingOutages(fakePool({ connect: refusal }).pool)
        .connect()
        .catch((e: unknown) => e);
      // Before, each reached the command line as a raw stack trace with exit code 1.
      expect(error).toBeInstanceOf(DatabaseRefusedError);
      expect(asServiceError(error)).toMatchObject({
        code: "UPSTREAM_UNAVAILABLE",
        message: expect.stringMatching(
          new RegExp(`^the database: refused the connection \\(${reason}.*check DATABASE_URL$`),
        ),
      });
      expect(asServiceError(error)!.message).not.toMatch(/bob|nonexistentdb/);
      expect((error as Error).cause).toBe(refusal);
    }
  });

  it("turns a statement's lost connection into DatabaseUnreachableError, and leaves its own errors alone", async () => {
    const lost = new Error("Connection terminated unexpectedly");
    const client = await reportingOutages(fakePool({ query: lost }).pool).connect();
    await expect(client.query("select 1", [])).rejects.toBeInstanceOf(DatabaseUnreachableError);

    const duplicate = withCode("duplicate key value", "23505");
    const other = await reportingOutages(fakePool({ query: duplicate }).pool).connect();
    await expect(other.query("insert …", [])).rejects.toBe(duplicate);
  });

  it("answers and releases through the pooled client, one wrapper per client", async () => {
    const { pool, released } = fakePool({});
    const outages = reportingOutages(pool);
    const client = await outages.connect();
    expect((await client.query<{ one: number }>("select 1", [])).rows).toEqual([{ one: 1 }]);
    client.release(true);
    expect(released).toEqual([true]);
    expect(await outages.connect()).toBe(client);
  });
});

describe("connectTimeoutMs", () => {
  const at = (query: string) => connectTimeoutMs(`postgres://u@db.internal:5432/books${query}`);

  it("reads DATABASE_URL's connect_timeout in seconds as libpq does, and bounds the wait without it", () => {
    expect(at("")).toBe(DEFAULT_CONNECT_TIMEOUT_MS);
    expect(at("?sslmode=require")).toBe(DEFAULT_CONNECT_TIMEOUT_MS);
    expect(at("?connect_timeout=5")).toBe(5_000);
    expect(at("?sslmode=require&connect_timeout=30")).toBe(30_000);
    expect(at("?connect_timeout=1")).toBe(2_000); // libpq's minimum
    expect(at("?connect_timeout=0")).toBe(0); // no limit, as in libpq
    expect(at("?connect_timeout=-1")).toBe(0);
  });

  it("refuses a connect_timeout that is not a whole number of seconds, naming DATABASE_URL", () => {
    for (const bad of ["abc", "2.5", ""]) {
      const error = (() => {
        try {
          return at(`?connect_timeout=${bad}`);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toMatchObject({ code: "VALIDATION", issues: [{ field: "DATABASE_URL" }] });
    }
  });

  it("gives up on a server that accepts and never answers after connect_timeout, as unreachable", async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    const handle = await openDatabase({ url: `postgres://u@127.0.0.1:${port}/books?connect_timeout=2` });
    try {
      const started = performance.now();
      const error = await sql`select 1`.execute(handle.db).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseUnreachableError);
      expect((error as Error).message).toMatch(/^cannot be reached \(timed out connecting\)/);
      // The URL's 2 s, not the 10 s default (a wide margin: this tells which limit applied, not how fast).
      expect(performance.now() - started).toBeLessThan(DEFAULT_CONNECT_TIMEOUT_MS - 2_000);
    } finally {
      await handle.close();
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
