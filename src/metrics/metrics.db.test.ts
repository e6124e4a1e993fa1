import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import {
  postPricing,
  startTestServer,
  TEST_ADMIN_KEY,
  type TestServer,
} from "../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { JOB_PAYLOADS } from "../jobs/job-payloads.ts";
import { connectSolusio } from "../solusio/connect-solusio.ts";
import { createMetrics } from "./metrics.ts";
import { startMetricsServer } from "./metrics-server.ts";
import { parseExposition, type Sample, samplesOf } from "./testing-exposition.ts";

// GET /metrics after real traffic: requests by matched route, GetTokenPricing on its own histogram, the job
// queue and a running billing run read from the database, SolusIO calls made to the emulator.

let handle: DatabaseHandle;
let server: TestServer;
let emulator: RunningEmulator;
const TOKEN = "metrics-test-pricing-token";

async function scrape(): Promise<Sample[]> {
  const answer = await fetch(`${server.url}/metrics`, {
    headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
  });
  expect(answer.status).toBe(200);
  expect(answer.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await answer.text());
}

const value = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samplesOf(samples, name, labels).map((s) => s.value);

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db, { SOLUSIO_PRICING_TOKEN: TOKEN });
  emulator = await startEmulator({ port: 0, logger: false });
});
afterAll(async () => {
  await server?.close();
  await emulator?.close();
  await handle?.close();
});

describe("GET /metrics", () => {
  it("needs the admin key, like the admin API", async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer tbk_wrong" } });
    expect(wrong.status).toBe(401);
  });

  it("counts requests by matched route, never by raw URL, and GetTokenPricing on its own", async () => {
    const created = await server.api("POST", "/api/v1/customers", {
      email: "metrics@example.com",
      country: "GB",
      currency: "USD",
    });
    expect(created.status).toBe(201);
    const id: number = created.body.data.id;
    for (let i = 0; i < 3; i++) expect((await server.api("GET", `/api/v1/customers/${id}`)).status).toBe(200);
    expect((await server.api("GET", "/api/v1/customers/987654")).status).toBe(404);
    expect((await server.api("GET", "/no/such/route/5")).status).toBe(404);
    const priced = await postPricing(server.url, {
      token: TOKEN,
      action: "GetTokenPricing",
      userid: `${id}`,
    });
    expect(priced.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const bad = await postPricing(server.url, { token: TOKEN, action: "Other", userid: `${id}` });
      expect(bad.status).toBe(400);
    }

    const samples = await scrape();
    const count = "tokenbill_http_request_duration_seconds_count";
    expect(value(samples, count, { method: "GET", route: "/api/v1/customers/:id", status: "200" })).toEqual([
      3,
    ]);
    expect(value(samples, count, { method: "GET", route: "/api/v1/customers/:id", status: "404" })).toEqual([
      1,
    ]);
    expect(value(samples, count, { method: "POST", route: "/api/v1/customers", status: "201" })).toEqual([1]);
    expect(value(samples, count, { method: "GET", route: "(unmatched)", status: "404" })).toEqual([1]);
    // No series names a concrete id or an unmatched URL.
    const routes = new Set(samplesOf(samples, count).map((s) => s.labels["route"]));
    expect([...routes].filter((r) => /\/\d+(\/|$)/.test(r ?? ""))).toEqual([]);
    // GetTokenPricing is on its own histogram, not in the generic one.
    expect(routes.has("/solusio/api")).toBe(false);
    const pricing = "tokenbill_get_token_pricing_duration_seconds";
    expect(value(samples, `${pricing}_count`, { status: "200" })).toEqual([1]);
    expect(value(samples, `${pricing}_count`, { status: "400" })).toEqual([2]);
    // Buckets are cumulative: the +Inf bucket holds every answer.
    expect(value(samples, `${pricing}_bucket`, { status: "400", le: "+Inf" })).toEqual([2]);
    // Default process metrics are there too (memory matters for billing runs).
    expect(samplesOf(samples, "tokenbill_process_resident_memory_bytes")[0]?.value).toBeGreaterThan(0);
  });

  it("carries the process's default metrics once, however many servers the process has built", async () => {
    // Other servers' metrics in this process (metrics.ts keeps the default metrics in one registry a process).
    for (let i = 0; i < 2; i++) createMetrics(handle.db, pino({ level: "silent" })).close();
    const samples = await scrape();
    const resident = samplesOf(samples, "tokenbill_process_resident_memory_bytes");
    expect(resident).toHaveLength(1);
    expect(resident[0]!.value).toBeGreaterThan(0);
    expect(samplesOf(samples, "tokenbill_nodejs_eventloop_lag_seconds")).toHaveLength(1);
  });

  it("gives every job kind its queue series from the start, at 0 while it has no open job", async () => {
    // Nothing has queued an e-mail or a dunning evaluation in this file yet.
    const samples = await scrape();
    const depth = "tokenbill_job_queue_depth";
    for (const status of ["pending", "running"])
      expect(value(samples, depth, { kind: "dunning.evaluate", status })).toEqual([0]);
    expect(value(samples, "tokenbill_job_queue_oldest_age_seconds", { kind: "dunning.evaluate" })).toEqual([
      0,
    ]);
    const kinds = new Set(samplesOf(samples, depth).map((s) => s.labels["kind"]));
    for (const kind of Object.keys(JOB_PAYLOADS)) expect(kinds).toContain(kind);
    const failedKinds = samplesOf(samples, "tokenbill_jobs_failed").map((s) => s.labels["kind"]);
    expect(failedKinds.sort()).toEqual(Object.keys(JOB_PAYLOADS).sort());
    expect(value(samples, "tokenbill_jobs_failed", { kind: "dunning.evaluate" })).toEqual([0]);
  });

  it("reads the job queue by kind and the age of its oldest job at scrape time", async () => {
    // The customer created above queued its SolusIO sync; no SolusIO here, so it waits. Age it by an hour.
    await handle.db
      .updateTable("job")
      .set({ created_at: new Date(Date.now() - 3_600_000) } as never)
      .where("kind", "=", "solusio.sync_customer")
      .execute();
    await handle.db
      .insertInto("job")
      .values([
        { kind: "invoice.email", payload: "{}", status: "running" },
        { kind: "invoice.email", payload: "{}" },
        { kind: "invoice.email", payload: "{}", status: "done" },
        { kind: "invoice.email", payload: "{}", status: "failed" },
        { kind: "invoice.email", payload: "{}", status: "failed" },
      ])
      .execute();

    const samples = await scrape();
    const depth = "tokenbill_job_queue_depth";
    expect(value(samples, depth, { kind: "solusio.sync_customer", status: "pending" })).toEqual([1]);
    expect(value(samples, depth, { kind: "invoice.email", status: "pending" })).toEqual([1]);
    expect(value(samples, depth, { kind: "invoice.email", status: "running" })).toEqual([1]);
    expect(samplesOf(samples, depth, { status: "done" })).toEqual([]);
    // Failed jobs are not in the queue: they have a gauge of their own.
    expect(samplesOf(samples, depth, { status: "failed" })).toEqual([]);
    expect(value(samples, "tokenbill_jobs_failed", { kind: "invoice.email" })).toEqual([2]);
    expect(value(samples, "tokenbill_jobs_failed", { kind: "solusio.sync_customer" })).toEqual([0]);
    const [age] = value(samples, "tokenbill_job_queue_oldest_age_seconds", { kind: "solusio.sync_customer" });
    expect(age).toBeGreaterThanOrEqual(3600);
    expect(age).toBeLessThan(3600 + 600);
  });

  it("shows the running billing run's progress, and nothing once it is over", async () => {
    const at = new Date();
    await handle.db
      .insertInto("billing_run")
      .values({
        id: "run_0e7a1c",
        period: "2026-10",
        period_start: new Date("2026-10-01T00:00:00Z"),
        period_end: new Date("2026-11-01T00:00:00Z"),
        source: "solusio",
        phase: "drafting",
        processed: 1500,
        total: 4000,
        actor: "system:test",
        started_at: at,
        heartbeat_at: at,
      })
      .execute();
    let samples = await scrape();
    const run = { run: "run_0e7a1c", period: "2026-10", phase: "drafting" };
    expect(value(samples, "tokenbill_billing_run_customers_done", run)).toEqual([1500]);
    expect(value(samples, "tokenbill_billing_run_customers_total", run)).toEqual([4000]);
    const [age] = value(samples, "tokenbill_billing_run_progress_age_seconds", run);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60);
    // A run whose process died reports no progress: its age grows, which an alert looks at.
    await handle.db
      .updateTable("billing_run")
      .set({ heartbeat_at: new Date(at.getTime() - 900_000) })
      .where("id", "=", "run_0e7a1c")
      .execute();
    samples = await scrape();
    const [stale] = value(samples, "tokenbill_billing_run_progress_age_seconds", run);
    expect(stale).toBeGreaterThanOrEqual(900);
    expect(stale).toBeLessThan(960);

    await handle.db
      .updateTable("billing_run")
      .set({ state: "completed", phase: "done" })
      .where("id", "=", "run_0e7a1c")
      .execute();
    samples = await scrape();
    expect(samplesOf(samples, "tokenbill_billing_run_customers_done")).toEqual([]);
  });

  it("times SolusIO calls by method and path pattern, and counts the failed ones", async () => {
    const connection = connectSolusio(handle.db, pino({ level: "silent" }), {
      apiUrl: emulator.apiUrl,
      token: emulator.adminToken,
      tlsInsecure: false,
      timeoutMs: 5000,
    });
    const user = await connection.api.createUser({
      email: "m@example.test",
      status: "active",
      billingUserId: 9,
    });
    expect((await connection.api.getUser(user.id))?.id).toBe(user.id);
    expect(await connection.api.getUser(user.id + 1000)).toBeUndefined(); // a 404
    await connection.close();

    const samples = await scrape();
    const duration = "tokenbill_solusio_call_duration_seconds_count";
    expect(value(samples, duration, { method: "POST", route: "users", status: "201" })).toEqual([1]);
    expect(value(samples, duration, { method: "GET", route: "users/:id", status: "200" })).toEqual([1]);
    expect(value(samples, duration, { method: "GET", route: "users/:id", status: "404" })).toEqual([1]);
    const errors = "tokenbill_solusio_call_errors_total";
    expect(value(samples, errors, { method: "GET", route: "users/:id", status: "404" })).toEqual([1]);
    expect(samplesOf(samples, errors, { status: "200" })).toEqual([]);
  });

  it("leaves out the database's figures, and only them, when the database cannot be read", async () => {
    const lines: { msg: string }[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    // Every statement fails, as with a database that is down; the process's own figures are still there.
    const failing = handle.db.withPlugin({
      transformQuery: () => {
        throw new Error("the database: cannot be reached (connection refused)");
      },
      transformResult: async (args) => args.result,
    });
    const metrics = createMetrics(failing, logger);
    try {
      const samples = parseExposition((await metrics.scrape()).text);
      expect(samplesOf(samples, "tokenbill_job_queue_depth")).toEqual([]);
      expect(samplesOf(samples, "tokenbill_job_queue_oldest_age_seconds")).toEqual([]);
      expect(samplesOf(samples, "tokenbill_jobs_failed")).toEqual([]);
      expect(samplesOf(samples, "tokenbill_billing_run_customers_done")).toEqual([]);
      expect(samplesOf(samples, "tokenbill_process_resident_memory_bytes")[0]?.value).toBeGreaterThan(0);
      expect(lines.map((line) => line.msg).sort()).toEqual([
        "metrics: could not read billing runs",
        "metrics: could not read the job queue",
      ]);
    } finally {
      metrics.close();
    }
  });

  it("is also served without a key on a loopback port (METRICS_PORT)", async () => {
    const metricsServer = await startMetricsServer(server.app.metrics, 0);
    try {
      expect(metricsServer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const answer = await fetch(metricsServer.url);
      expect(answer.status).toBe(200);
      const samples = parseExposition(await answer.text());
      expect(value(samples, "tokenbill_get_token_pricing_duration_seconds_count", { status: "200" })).toEqual(
        [1],
      );
      expect((await fetch(metricsServer.url.replace("/metrics", "/api/v1/customers"))).status).toBe(404);
    } finally {
      await metricsServer.close();
    }
  });
});
