import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseHandle, openDatabase } from "../../src/db/open-database.ts";
import { type ServeProcess, startServe, stopServe, urlWithSchema } from "../helpers/serve-process.ts";
import { relayPostgres, type TcpProxy } from "../helpers/tcp-proxy.ts";
import { waitUntil } from "../helpers/wait-until.ts";

// PostgreSQL restarting under a running `serve` while requests are in flight (here a relay between them
// drops every connection and refuses new ones). Until 2026-12-02 that ended the process: a pooled connection
// lent to a request emitted "error" with nobody listening. Now every request answers 503, the process
// stays up, and once the database is back it answers again with no restart. PostgreSQL only.

const baseUrl = process.env["DATABASE_URL"];
const ADMIN_KEY = "database-outage-admin-key-0123";

describe.runIf(baseUrl)("serve while its PostgreSQL goes away and comes back", () => {
  let admin: DatabaseHandle;
  let proxy: TcpProxy;
  let serve: ServeProcess;
  const schema = `tb_outage_${Date.now()}`;

  beforeAll(async () => {
    admin = await openDatabase({ url: baseUrl!, poolSize: 1 });
    await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
    const relay = await relayPostgres(baseUrl!);
    proxy = relay.proxy;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: "0",
      LOG_LEVEL: "info",
      DATABASE_URL: urlWithSchema(relay.url, schema),
      TOKENBILL_ADMIN_API_KEY: ADMIN_KEY,
      SOLUSIO_URL: "",
    };
    delete env["SOLUSIO_PRICING_TOKEN"];
    serve = await startServe(env);
  }, 120_000);

  afterAll(async () => {
    if (serve) await stopServe(serve, "SIGTERM");
    await proxy?.close();
    if (admin) {
      await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(admin.db);
      await admin.close();
    }
  });

  const listCustomers = async () =>
    (await fetch(`${serve.url}/api/v1/customers`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }))
      .status;

  it("answers 503 to the requests in flight, stays up, and answers again once the database is back", async () => {
    expect(await listCustomers()).toBe(200);

    const cut = proxy.cutOnNextSend();
    const inFlight = Array.from({ length: 20 }, listCustomers);
    await cut;
    expect(new Set(await Promise.all(inFlight))).toEqual(new Set([503]));
    // What else reaches the database has failed too: the job listener (its connection lost, or its first
    // one refused when the cut came while it connected) and the runner's next claim (its poll). A crash on
    // either ends the wait as well.
    const listenerFailed = /job listener lost its connection|job wake-ups unavailable/;
    await waitUntil(
      "the job listener's failure and a failed job claim in serve's log, or serve's exit",
      () =>
        serve.child.exitCode !== null ||
        (listenerFailed.test(serve.output()) && serve.output().includes('"msg":"job claim failed"')),
    );
    expect(serve.child.exitCode).toBeNull();
    expect(await listCustomers()).toBe(503);

    proxy.restore();
    await expect.poll(listCustomers, { interval: 100 }).toBe(200);
    const created = await fetch(`${serve.url}/api/v1/customers`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ email: "after@example.com", country: "DE", currency: "EUR" }),
    });
    expect(created.status).toBe(201);
    expect(serve.output()).toContain("upstream unavailable");
  });
});
