import { waitUntil } from "../../test/helpers/wait-until.ts";
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateToLatest } from "../db/migrate.ts";
import { UpstreamError } from "../kernel/errors.ts";
import { loggerOptions } from "../logger.ts";
import { JobRunner } from "../jobs/job-runner.ts";
import { PricingIndex } from "../services/pricing/pricing-index.ts";
import { type DatabaseHandle, openDatabase } from "../db/open-database.ts";
import { relayPostgres, type TcpProxy } from "../../test/helpers/tcp-proxy.ts";
import {
  postPricing,
  startTestServer,
  TEST_ADMIN_KEY,
  type TestServer,
} from "../../test/helpers/test-server.ts";

// PostgreSQL going away under a running server (a restart, a failover, a network cut), staged with a relay
// between the server and the database that drops every connection and refuses new ones: every route answers
// 503 with Retry-After and says the database could not be reached, the log names the cause, and once the
// relay is back the same server answers again without a restart. GetTokenPricing answers from memory
// meanwhile. PostgreSQL only: PGlite runs in-process.

const url = process.env["DATABASE_URL"];

describe.runIf(url)("a database that cannot be reached", () => {
  let admin: DatabaseHandle;
  let handle: DatabaseHandle;
  let proxy: TcpProxy;
  let relayUrl: string;
  let server: TestServer;
  const logLines: { level: number; msg: string; reason?: string; requestId?: string }[] = [];
  const schema = `tb_test_${randomBytes(6).toString("hex")}`;
  let customerId: number;
  /** A key kept in the database: while it is out of reach, no one can tell this key's role. */
  let storedKey: string;

  beforeAll(async () => {
    admin = await openDatabase({ url: url!, poolSize: 1 });
    await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
    const relay = await relayPostgres(url!);
    proxy = relay.proxy;
    relayUrl = relay.url;
    handle = await openDatabase({ url: relay.url, schema, poolSize: 4 });
    await migrateToLatest(handle.db);
    const logs = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n")) if (line) logLines.push(JSON.parse(line));
        done();
      },
    });
    // Every pricing request checks the database, so the outage reaches GetTokenPricing at once.
    server = await startTestServer(
      handle.db,
      { PRICING_REFRESH_MS: 0 },
      { logger: pino(loggerOptions({ LOG_LEVEL: "warn" }), logs) },
    );
    const currency = await server.api("POST", "/api/v1/currencies", {
      code: "XTS",
      exponent: 2,
      token_unit_cost: "1",
    });
    expect(currency.status).toBe(201);
    const customer = await server.api("POST", "/api/v1/customers", {
      email: "before@example.com",
      country: "GB",
      currency: "XTS",
    });
    expect(customer.status).toBe(201);
    customerId = customer.body.data.id;
    const key = await server.api("POST", "/api/v1/api-keys", { name: "stored admin key", role: "admin" });
    expect(key.status).toBe(201);
    storedKey = key.body.data.key;
  });
  afterAll(async () => {
    await server?.close();
    await handle?.close();
    await proxy?.close();
    await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(admin.db);
    await admin?.close();
  });

  const pricing = () => postPricing(server.url, { action: "GetTokenPricing", userid: String(customerId) });

  it("answers 503 with Retry-After on the admin API and the pages, GetTokenPricing from memory, then recovers", async () => {
    const before = await pricing();
    expect(before.status).toBe(200);
    // Cut while a statement is unanswered: that connection is lent out, not idle in the pool.
    const cut = proxy.cutOnNextSend();
    const inFlight = Array.from({ length: 5 }, () => server.api("GET", "/api/v1/customers"));
    await cut;
    try {
      expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
      const read = await fetch(`${server.url}/api/v1/customers`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
      });
      expect(read.status).toBe(503);
      expect(read.headers.get("retry-after")).toBe("5");
      const body = await read.json();
      expect(body.error.code).toBe("UPSTREAM_UNAVAILABLE");
      expect(body.error.message).toMatch(/^the database: cannot be reached \(.+\); try again shortly$/);
      // The database's address is for the operator's log, not for an API client.
      expect(body.error.message).not.toContain(String(proxy.port));
      // A stored key's role cannot be read: its request is answered as a key below admin's (upstreamWords),
      // which reads the database's failure whole, as it is tokenbill's own words naming no address.
      const stored = await fetch(`${server.url}/api/v1/customers`, {
        headers: { authorization: `Bearer ${storedKey}` },
      });
      expect([stored.status, stored.headers.get("retry-after")]).toEqual([503, "5"]);
      const storedMessage = (await stored.json()).error.message;
      expect(storedMessage).toMatch(/^the database: cannot be reached \(.+\); try again shortly$/);
      expect(storedMessage).not.toContain(String(proxy.port));

      const write = await server.api("POST", "/api/v1/customers", {
        email: "during@example.com",
        country: "GB",
        currency: "XTS",
      });
      expect(write.status).toBe(503);

      // GetTokenPricing answers from memory: no instance reaches this database, so no price can change meanwhile.
      expect(await pricing()).toEqual(before);

      // Pages: a session is looked up in the database, so any session cookie reaches it.
      const page = async (face: "console" | "portal") => {
        const answer = await fetch(`${server.url}/${face}`, {
          headers: { cookie: `tb_${face}=some-session-id-0123456789abcdef` },
          redirect: "manual",
        });
        return {
          status: answer.status,
          retryAfter: answer.headers.get("retry-after"),
          text: await answer.text(),
        };
      };
      const consolePage = await page("console");
      expect(consolePage).toMatchObject({ status: 503, retryAfter: "5" });
      // No session can be read, so no role: the page reads the database's failure as every role does, whole
      // (tokenbill's own words; the address stays in the log), never its address.
      expect(consolePage.text).toMatch(/the database: cannot be reached \(.+\); try again shortly/);
      expect(consolePage.text).not.toContain(String(proxy.port));
      const portalPage = await page("portal");
      expect(portalPage).toMatchObject({ status: 503, retryAfter: "5" });
      expect(portalPage.text).toContain("This page is unavailable for a moment.");
      expect(portalPage.text).not.toContain("database");
    } finally {
      proxy.restore();
    }

    // The same server, no restart: the pool opens new connections.
    const after = await server.api("GET", "/api/v1/customers");
    expect(after.status).toBe(200);
    expect(after.body.data.map((c: { email: string }) => c.email)).toEqual(["before@example.com"]);
    expect(await pricing()).toEqual(before);
  });

  it("logs each refusal as a warning naming the cause in node-postgres's words", () => {
    const warnings = logLines.filter((line) => line.msg === "upstream unavailable");
    // The reads, the write and the two pages above.
    expect(warnings.length).toBeGreaterThanOrEqual(4);
    for (const warning of warnings) {
      expect(warning.level).toBe(40);
      expect(warning.requestId).toMatch(/^req_/);
      expect(warning.reason).toMatch(/^the database: cannot be reached \(.+\); try again shortly: \S/);
    }
    expect(logLines.filter((line) => line.level >= 50)).toEqual([]);
    // GetTokenPricing says once that it answers from memory, and once that it checks again.
    const fromMemory = logLines.filter((line) => /GetTokenPricing answers from memory/.test(line.msg));
    expect(fromMemory).toHaveLength(1);
    expect(fromMemory[0]!.reason).toMatch(/^cannot be reached/);
  });

  describe("the pricing index", () => {
    let own: DatabaseHandle;
    let now = 0;
    const REFRESH_MS = 500;
    beforeAll(async () => {
      own = await openDatabase({ url: relayUrl, schema, poolSize: 1 });
    });
    afterAll(async () => own?.close());

    it("answers from memory, tries the database once an interval, and fails after a change it could not apply", async () => {
      const index = new PricingIndex(own.db, REFRESH_MS, pino({ level: "silent" }), () => now);
      const known = await index.json(BigInt(customerId));
      proxy.cut();
      try {
        now += REFRESH_MS;
        expect(await index.json(BigInt(customerId))).toBe(known);
        const refused = proxy.refused;
        expect(refused).toBeGreaterThan(0);
        // Within the interval: answers, and no attempt to reach the database. A statement of our own, sent
        // after them through the same one-connection pool, reaches the relay after any attempt they started:
        // once it is refused, every such attempt has been counted.
        for (let i = 0; i < 50; i++) expect(await index.json(BigInt(customerId))).toBe(known);
        await expect(sql`select 1`.execute(own.db)).rejects.toThrow();
        expect(proxy.refused).toBe(refused + 1);
        // An interval later, one attempt in the background; the answer does not wait for it.
        now += REFRESH_MS;
        expect(await index.json(BigInt(customerId))).toBe(known);
        await expect.poll(() => proxy.refused).toBeGreaterThan(refused + 1);
        // A change this instance was told of and could not apply: no answer from memory.
        index.invalidate();
        await expect(index.json(BigInt(customerId))).rejects.toBeInstanceOf(UpstreamError);
      } finally {
        proxy.restore();
      }
      expect(await index.json(BigInt(customerId))).toBe(known);
    });

    // A database that stops answering without refusing (its host died, a network drops the packets): the
    // check waits on a connection that says nothing, until the operating system gives up (about 15 minutes
    // on Linux; never, through the stalled relay). Until 2026-12-02 every answer waited for that check.
    it("answers from memory once a check has waited past its limit, and checks again once the database answers", async () => {
      const lines: { msg: string; waitedMs?: number }[] = [];
      const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
      const index = new PricingIndex(own.db, REFRESH_MS, logger, () => now, { checkWaitMs: 50 });
      const known = await index.json(BigInt(customerId));
      proxy.stall();
      try {
        now += REFRESH_MS;
        expect(await index.json(BigInt(customerId))).toBe(known);
        expect(lines.map((line) => line.msg)).toContain(
          "the database is slow to answer: GetTokenPricing answers from memory until its check completes",
        );
        // The check still hangs; later answers do not wait for it, in the interval or after it.
        for (let i = 0; i < 20; i++) expect(await index.json(BigInt(customerId))).toBe(known);
        now += REFRESH_MS;
        for (let i = 0; i < 20; i++) expect(await index.json(BigInt(customerId))).toBe(known);
        // A change made meanwhile through another way in (here: the database directly, not the relay).
        const direct = await openDatabase({ url: url!, schema, poolSize: 1 });
        await sql`UPDATE currency SET token_unit_cost = 3 WHERE code = 'XTS'`.execute(direct.db);
        await direct.close();
      } finally {
        // The stalled connection is dropped: its check fails, and the next one (an interval on) finds the change.
        proxy.restore();
      }
      await expect
        .poll(
          async () => {
            now += REFRESH_MS;
            return index.json(BigInt(customerId));
          },
          { interval: 50 },
        )
        .not.toBe(known);
      expect(lines.map((line) => line.msg)).toContain(
        "the database can be reached again: GetTokenPricing checks for changes again",
      );
    });

    // Until 2026-12 a check while the database was unreachable started only when a request came, and that
    // request was answered from memory: the first answer after the outage was as stale as the outage was long.
    it("notices the database is back without a request: the first answer after the outage is fresh", async () => {
      const lines: { msg: string }[] = [];
      const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
      const index = new PricingIndex(own.db, REFRESH_MS, logger, () => now);
      try {
        const known = await index.json(BigInt(customerId));
        proxy.cut();
        try {
          now += REFRESH_MS;
          expect(await index.json(BigInt(customerId))).toBe(known);
          const direct = await openDatabase({ url: url!, schema, poolSize: 1 });
          await sql`UPDATE currency SET token_unit_cost = 4 WHERE code = 'XTS'`.execute(direct.db);
          await direct.close();
        } finally {
          proxy.restore();
        }
        // An interval passes with no request at all; the index checks by itself meanwhile (its timer).
        now += REFRESH_MS;
        await waitUntil("the index's own check to find the database back", () =>
          lines.some((line) => line.msg.startsWith("the database can be reached again")),
        );
        expect(JSON.parse(await index.json(BigInt(customerId))).base_token_unit_cost).toBe(4);
      } finally {
        index.close();
      }
    });
  });

  describe("the job runner", () => {
    it("logs the first failed claim as an error, its repeats at debug, and the recovery with their count", async () => {
      const own = await openDatabase({ url: relayUrl, schema, poolSize: 2 });
      const lines: { level: number; msg: string; inARow?: number; failedInARow?: number }[] = [];
      const logs = new Writable({
        write(chunk, _encoding, done) {
          for (const line of String(chunk).split("\n")) if (line) lines.push(JSON.parse(line));
          done();
        },
      });
      const runner = new JobRunner({
        db: own.db,
        logger: pino({ level: "debug" }, logs),
        pollMs: 20,
        handlers: { "test.noop": async () => {} },
      });
      await runner.start();
      try {
        proxy.cut();
        await expect
          .poll(() => lines.filter((l) => l.msg === "job claim failed again").length)
          .toBeGreaterThanOrEqual(3);
        proxy.restore();
        await expect.poll(() => lines.some((l) => l.msg === "job claims work again")).toBe(true);
      } finally {
        proxy.restore();
        await runner.stop();
        await own.close();
      }
      const failed = lines.filter((l) => l.msg === "job claim failed");
      const again = lines.filter((l) => l.msg === "job claim failed again");
      expect(failed).toHaveLength(1);
      expect(failed[0]!.level).toBe(50);
      expect(again.every((l) => l.level === 20)).toBe(true);
      expect(again.map((l) => l.inARow)).toEqual(again.map((_, i) => i + 2));
      const recovered = lines.filter((l) => l.msg === "job claims work again");
      expect(recovered).toHaveLength(1);
      expect(recovered[0]!.failedInARow).toBe(1 + again.length);
    });
  });
});
