import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgliteSharedDialect } from "../../src/db/pglite-socket-dialect.ts";
import {
  type PgliteSocketServer,
  SOCKET_PORT,
  shareOverSocket,
  socketPathOf,
} from "../../src/db/pglite-socket-server.ts";
import { PgliteSessionQueue } from "../../src/db/pglite-socket-session.ts";
import { waitUntil } from "../helpers/wait-until.ts";

// serve's PGlite shared over its socket: serve's own queries (Kysely) and socket clients (pg, as the CLI
// connects) take turns on PGlite's one session, and nobody's statement lands in someone else's transaction
// or between someone else's Parse and Sync.

let serve: Kysely<any>;
let session: PgliteSessionQueue;
let client: PGlite;
let socket: PgliteSocketServer;
let dir: string;
const opened: pg.Client[] = [];
const WAKEUP = "tb_test_wakeup";
const heard: string[] = [];

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ host: dir, port: SOCKET_PORT, user: "postgres", database: "postgres" });
  c.on("error", () => {});
  await c.connect();
  opened.push(c);
  return c;
}

const count = async () =>
  Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM note`.execute(serve)).rows[0]!.n);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-sock-"));
  client = await PGlite.create();
  session = new PgliteSessionQueue();
  socket = (await shareOverSocket(client, session, dir, {
    channels: [WAKEUP],
    onNotification: (channel, payload) => heard.push(`${channel}:${payload}`),
  }))!;
  serve = new Kysely({ dialect: new PgliteSharedDialect(client, session) });
  await sql`CREATE TABLE note (id serial PRIMARY KEY, body text NOT NULL)`.execute(serve);
  // PGlite's initdb shares the cores with the suite: the db project's hook timeout, not a tighter one.
}, 120_000);

afterAll(async () => {
  await Promise.all(opened.map((c) => c.end().catch(() => {})));
  await socket.close();
  await serve.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe("a PGlite shared over a socket", () => {
  it("is a socket only its owner may use", () => {
    expect(statSync(socketPathOf(dir)).mode & 0o777).toBe(0o600);
  });

  it("keeps serve's query out of a client's open transaction", async () => {
    await sql`TRUNCATE note`.execute(serve);
    const cli = await connect();
    await cli.query("BEGIN");
    await cli.query("INSERT INTO note (body) VALUES ($1)", ["uncommitted"]);
    let served: number | undefined;
    const serving = count().then((n) => (served = n));
    // Seen queued for the session the client holds (or, wrongly, answered already): a state, not a sleep.
    await waitUntil(
      "serve's query to queue or be answered",
      () => served !== undefined || session.waiting > 0,
    );
    expect(served).toBeUndefined();
    expect(session.holder).toBeTypeOf("number");
    // More of the client's transaction runs ahead of serve's query, which goes on waiting.
    await cli.query("SELECT 1");
    expect(served).toBeUndefined();
    await cli.query("ROLLBACK");
    await serving;
    // Run inside the client's transaction, serve would have counted the uncommitted row.
    expect(served).toBe(0);
  });

  it("keeps a client's statement out of serve's transaction", async () => {
    await sql`TRUNCATE note`.execute(serve);
    const cli = await connect();
    let seen: number | undefined;
    let counting: Promise<unknown> | undefined;
    const rollBack = new Error("roll back");
    const serving = serve.transaction().execute(async (trx) => {
      await sql`INSERT INTO note (body) VALUES ('serve, rolled back')`.execute(trx);
      counting = cli.query("SELECT count(*)::int AS n FROM note").then((r) => (seen = r.rows[0].n));
      await waitUntil(
        "the client's query to queue or be answered",
        () => seen !== undefined || session.waiting > 0,
      );
      expect(seen).toBeUndefined();
      // More of serve's transaction runs ahead of the client's query, which goes on waiting.
      await sql`SELECT 1`.execute(trx);
      expect(seen).toBeUndefined();
      throw rollBack;
    });
    // Only the rollback asked for: an assertion failed inside the transaction fails the test.
    await expect(serving).rejects.toBe(rollBack);
    await counting;
    expect(seen).toBe(0);
  });

  it("keeps each client's extended-protocol cycles whole (no statement answers another's parameters)", async () => {
    const [a, b] = [await connect(), await connect()];
    const answers: boolean[] = [];
    // Each client one query at a time (as pg requires), the two clients and serve at once.
    const loop = async (ask: (i: number) => Promise<boolean>) => {
      for (let i = 0; i < 40; i++) answers.push(await ask(i));
    };
    await Promise.all([
      loop(async (i) => (await a.query("SELECT $1::int + 1 AS a", [i])).rows[0].a === i + 1),
      loop(async (i) => {
        const row = (await b.query("SELECT $1::text || '!' AS b, $2::int AS c", [`x${i}`, i])).rows[0];
        return row.b === `x${i}!` && row.c === i;
      }),
      loop(async () => (await count()) >= 0),
    ]);
    expect(answers).toEqual(Array.from({ length: 120 }, () => true));
  });

  it("rolls back a client that leaves mid-transaction, and serve carries on", async () => {
    await sql`TRUNCATE note`.execute(serve);
    const cli = await connect();
    await cli.query("BEGIN");
    await cli.query("INSERT INTO note (body) VALUES ($1)", ["lost with its connection"]);
    // A killed CLI: the socket goes away without COMMIT, ROLLBACK or Terminate.
    (cli as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    expect(await count()).toBe(0);
    await sql`INSERT INTO note (body) VALUES ('after')`.execute(serve);
    const other = await connect();
    expect((await other.query("SELECT body FROM note")).rows).toEqual([{ body: "after" }]);
  });

  it("undoes what a departed client set for itself, for serve and the next client", async () => {
    const setting = async (name: string) =>
      (await sql<{ v: string }>`SELECT current_setting(${name}) AS v`.execute(serve)).rows[0]!.v;
    const searchPath = await setting("search_path");
    const timeZone = await setting("TimeZone");
    for (const leave of ["end", "kill"] as const) {
      const cli = await connect();
      await cli.query("SET search_path TO pg_catalog");
      await cli.query("SET TIME ZONE 'Pacific/Chatham'");
      await cli.query("CREATE TEMP TABLE scratch (x int)");
      await cli.query("UNLISTEN *");
      if (leave === "end") await cli.end();
      else (cli as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      // The reset is the departed connection's last turn; serve's next statements may come before it.
      await waitUntil(
        "the departed client's reset",
        async () => (await setting("search_path")) === searchPath,
      );
      expect(await setting("search_path")).toBe(searchPath);
      expect(await setting("TimeZone")).toBe(timeZone);
      expect(await count()).toBeGreaterThanOrEqual(0);
      const next = await connect();
      expect((await next.query("SELECT to_regclass('pg_temp.scratch') AS t")).rows).toEqual([{ t: null }]);
      // serve still hears a command's wake-up after a client's UNLISTEN *.
      heard.length = 0;
      await next.query(`NOTIFY ${WAKEUP}, '${leave}'`);
      await waitUntil("serve to hear the wake-up", () => heard.length > 0);
      expect(heard).toEqual([`${WAKEUP}:${leave}`]);
    }
  });
});
