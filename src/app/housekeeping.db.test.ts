import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { parseConfig } from "../config.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { pino } from "pino";
import { housekeepingRound, trimOldRows } from "./housekeeping.ts";

// Housekeeping trims done jobs, the SolusIO call log, ended web sessions, Idempotency-Key answers and the
// records of billed periods' server polls past their retention, batch by batch, and keeps everything else; two instances trimming at once delete each row once.

let handle: DatabaseHandle;
const NOW = new Date("2026-11-30T12:00:00Z");
const config = parseConfig({
  RETENTION_JOBS_DAYS: 7,
  RETENTION_CALL_LOG_DAYS: 14,
  RETENTION_SESSIONS_DAYS: 3,
  RETENTION_IDEMPOTENCY_KEYS_HOURS: 6,
  RETENTION_SERVER_POLLS_DAYS: 10,
});
const ctx = () => ({ db: handle.db, config, now: () => NOW });
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const hoursAgo = (hours: number) => daysAgo(hours / 24);

beforeAll(async () => {
  handle = await createTestDatabase();
  await sql`INSERT INTO customer (email, name, country, currency_code) VALUES ('s@example.com', 'S', 'GB', 'USD')`.execute(
    handle.db,
  );
});
afterAll(async () => {
  await handle?.close();
});

beforeEach(async () => {
  await sql`DELETE FROM job`.execute(handle.db);
  await sql`DELETE FROM solusio_call`.execute(handle.db);
  await sql`DELETE FROM web_session`.execute(handle.db);
  await sql`DELETE FROM idempotency_key`.execute(handle.db);
  await sql`DELETE FROM server_poll`.execute(handle.db);
  await sql`DELETE FROM billing_run`.execute(handle.db);
  const db = handle.db;
  // 2,500 done jobs past the 7 days, 10 within; old jobs that must stay: failed, pending, a billing slot.
  await sql`INSERT INTO job (kind, status, updated_at)
            SELECT 'solusio.sync_customer', 'done', ${daysAgo(8)}::timestamptz - n * interval '1 second'
            FROM generate_series(1, 2500) n`.execute(db);
  await sql`INSERT INTO job (kind, status, updated_at)
            SELECT 'solusio.sync_customer', 'done', ${daysAgo(6)} FROM generate_series(1, 10)`.execute(db);
  await sql`INSERT INTO job (kind, status, updated_at, slot) VALUES
            ('solusio.sync_customer', 'failed', ${daysAgo(30)}, NULL),
            ('solusio.sync_customer', 'pending', ${daysAgo(30)}, NULL),
            ('billing.scheduled_run', 'done', ${daysAgo(30)}, 'billing:2026-10'),
            ('solusio.poll_servers', 'done', ${daysAgo(30)}, 'poll:2026-10-31T12:00')`.execute(db);
  // 2,300 calls past the 14 days, 5 within.
  await sql`INSERT INTO solusio_call (at, method, path, status, duration_ms, attempt)
            SELECT ${daysAgo(15)}::timestamptz - n * interval '1 second', 'GET', 'users/' || n, 200, 20, 1
            FROM generate_series(1, 2300) n`.execute(db);
  await sql`INSERT INTO solusio_call (at, method, path, status, duration_ms, attempt)
            SELECT ${daysAgo(13)}, 'GET', 'users', 200, 20, 1 FROM generate_series(1, 5)`.execute(db);
  // Sessions that ended 4 days ago (past the 3 days), ended 1 day ago, and live ones.
  await sql`INSERT INTO web_session (id_hash, kind, customer_id, created_at, last_seen_at, expires_at)
            SELECT lpad(to_hex(n), 64, '0'), 'customer', c.id, ${daysAgo(40)}, ${daysAgo(40)},
                   CASE WHEN n <= 30 THEN ${daysAgo(4)}::timestamptz
                        WHEN n <= 33 THEN ${daysAgo(1)}::timestamptz ELSE ${daysAgo(-1)}::timestamptz END
            FROM generate_series(1, 35) n, (SELECT id FROM customer LIMIT 1) c`.execute(db);
  // 1,200 Idempotency-Keys first used 7 hours ago (past the 6), one of them still unanswered; 4 within.
  await sql`INSERT INTO idempotency_key (scope, key, request_hash, status, response_body, created_at, completed_at)
            SELECT 'apikey:key_1', 'old-' || n, repeat('a', 64), 201, '{}',
                   ${hoursAgo(7)}::timestamptz - n * interval '1 second', ${hoursAgo(7)}
            FROM generate_series(1, 1199) n`.execute(db);
  await sql`INSERT INTO idempotency_key (scope, key, request_hash, created_at)
            VALUES ('apikey:key_1', 'in-flight', repeat('a', 64), ${hoursAgo(7)})`.execute(db);
  await sql`INSERT INTO idempotency_key (scope, key, request_hash, status, response_body, created_at, completed_at)
            SELECT 'apikey:key_1', 'new-' || n, repeat('a', 64), 201, '{}', ${hoursAgo(5)}, ${hoursAgo(5)}
            FROM generate_series(1, 4) n`.execute(db);
  // Polls every 10 minutes for 40 days. October, which ended 30 days ago, is billed; November is not (its run
  // failed): October's 1,440 polls go, and all 4,320 since stay, though 20 days of them are past the 10 days.
  await sql`INSERT INTO billing_run (id, period, period_start, period_end, source, state, actor, started_at,
              heartbeat_at, finished_at)
            VALUES ('run_0c7', '2026-10', ${daysAgo(61)}, ${daysAgo(30)}, 'solusio', 'completed', 'test',
                    ${daysAgo(20)}, ${daysAgo(20)}, ${daysAgo(20)}),
                   ('run_11', '2026-11', ${daysAgo(30)}, ${daysAgo(0)}, 'solusio', 'failed', 'test',
                    ${daysAgo(1)}, ${daysAgo(1)}, ${daysAgo(1)})`.execute(db);
  await sql`INSERT INTO server_poll (started_at, finished_at, servers)
            SELECT t, t, 3 FROM (SELECT ${daysAgo(40)}::timestamptz + n * interval '10 minutes' AS t
                                 FROM generate_series(0, 5759) n) polls`.execute(db);
});

async function remaining() {
  const count = async (query: string) =>
    Number((await sql<{ n: string }>`${sql.raw(query)}`.execute(handle.db)).rows[0]!.n);
  return {
    doneJobs: await count("SELECT count(*) AS n FROM job WHERE status = 'done'"),
    otherJobs: await count("SELECT count(*) AS n FROM job WHERE status <> 'done'"),
    billingSlot: await count("SELECT count(*) AS n FROM job WHERE slot = 'billing:2026-10'"),
    calls: await count("SELECT count(*) AS n FROM solusio_call"),
    sessions: await count("SELECT count(*) AS n FROM web_session"),
    keys: await count("SELECT count(*) AS n FROM idempotency_key"),
    polls: await count("SELECT count(*) AS n FROM server_poll"),
  };
}

it("trims what is past its retention, batch by batch, and keeps the rest", async () => {
  const trimmed = await trimOldRows(ctx(), { batchSize: 1000 });
  // 2,500 done jobs and the old poll slot; the calls; the 30 sessions that ended 4 days ago.
  expect(trimmed).toEqual({
    jobs: 2501,
    solusioCalls: 2300,
    webSessions: 30,
    idempotencyKeys: 1200,
    serverPolls: 1440,
  });
  expect(await remaining()).toEqual({
    doneJobs: 11,
    otherJobs: 2,
    billingSlot: 1,
    calls: 5,
    sessions: 5,
    keys: 4,
    polls: 4320,
  });
  // A second round finds nothing more.
  expect(await trimOldRows(ctx(), { batchSize: 1000 })).toEqual({
    jobs: 0,
    solusioCalls: 0,
    webSessions: 0,
    idempotencyKeys: 0,
    serverPolls: 0,
  });
});

it("deletes each row once when two instances trim at the same time", async () => {
  const [a, b] = await Promise.all([
    trimOldRows(ctx(), { batchSize: 300 }),
    trimOldRows(ctx(), { batchSize: 300 }),
  ]);
  expect(a.jobs + b.jobs).toBe(2501);
  expect(a.solusioCalls + b.solusioCalls).toBe(2300);
  expect(a.webSessions + b.webSessions).toBe(30);
  expect(a.idempotencyKeys + b.idempotencyKeys).toBe(1200);
  expect(a.serverPolls + b.serverPolls).toBe(1440);
  expect(await remaining()).toEqual({
    doneJobs: 11,
    otherJobs: 2,
    billingSlot: 1,
    calls: 5,
    sessions: 5,
    keys: 4,
    polls: 4320,
  });
});

it("keeps the newest server poll however old, as the usage source reads when it was", async () => {
  await sql`DELETE FROM server_poll`.execute(handle.db);
  await sql`UPDATE billing_run SET state = 'completed'`.execute(handle.db);
  await sql`INSERT INTO server_poll (started_at, finished_at, servers)
            SELECT t, t, 3 FROM (SELECT ${daysAgo(50)}::timestamptz + n * interval '1 hour' AS t
                                 FROM generate_series(0, 2) n) polls`.execute(handle.db);
  expect((await trimOldRows(ctx())).serverPolls).toBe(2);
  const { rows } = await sql<{ at: Date }>`SELECT started_at AS at FROM server_poll`.execute(handle.db);
  expect(rows.map((r) => r.at.toISOString())).toEqual([
    new Date(NOW.getTime() - 50 * 86_400_000 + 2 * 3_600_000).toISOString(),
  ]);
});

it("reads its retentions from the configuration, in days (Idempotency-Keys in hours)", () => {
  expect(parseConfig({}).RETENTION_JOBS_DAYS).toBe(30);
  expect(parseConfig({}).RETENTION_SERVER_POLLS_DAYS).toBe(30);
  expect(() => parseConfig({ RETENTION_CALL_LOG_DAYS: "0" })).toThrow(/RETENTION_CALL_LOG_DAYS/);
  expect(parseConfig({}).RETENTION_IDEMPOTENCY_KEYS_HOURS).toBe(24);
  expect(() => parseConfig({ RETENTION_IDEMPOTENCY_KEYS_HOURS: "0" })).toThrow(
    /RETENTION_IDEMPOTENCY_KEYS_HOURS/,
  );
});

it("vacuums every table after trimming when asked (the embedded database), and only then", async () => {
  const logged: string[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => logged.push(JSON.parse(line).msg) });
  const without = await housekeepingRound({ ...ctx(), logger }, { vacuum: false });
  expect(without).toEqual({
    trimmed: { jobs: 2501, solusioCalls: 2300, webSessions: 30, idempotencyKeys: 1200, serverPolls: 1440 },
    vacuumed: [],
  });
  await trimOldRows(ctx()); // nothing left to trim: the vacuum round below runs on its own
  const { trimmed, vacuumed } = await housekeepingRound({ ...ctx(), logger }, { vacuum: true });
  expect(trimmed).toEqual({ jobs: 0, solusioCalls: 0, webSessions: 0, idempotencyKeys: 0, serverPolls: 0 });
  expect(vacuumed).toEqual(expect.arrayContaining(["job", "solusio_call", "web_session", "customer"]));
  expect(logged).toEqual([
    "housekeeping trimmed old rows",
    "housekeeping vacuumed and analyzed the embedded database's tables",
  ]);
});
