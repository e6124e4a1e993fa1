import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../../emulator/start.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../../test/helpers/test-server.ts";
import { waitUntil } from "../../../test/helpers/wait-until.ts";
import { launchBillingRun } from "../../billing/runs/launch-billing-run.ts";
import {
  billingContext,
  createCustomers,
  createSection4Customer,
} from "../../billing/testing/billing-fixtures.ts";
import { BackgroundWork } from "../../kernel/background-work.ts";
import { emulatorDriver } from "../../billing/testing/emulator-driver.ts";
import { emulatorIntegration } from "../../billing/testing/emulator-integration.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import type { SolusioIntegration } from "../../solusio/integration.ts";

// The billing admin API over real HTTP against the emulator: start a run, follow its progress to the
// summary, read its anomalies, then list, read, pay and void invoices — with field-named 400s, 404s and 409s.

let handle: DatabaseHandle;
let server: TestServer;
let em: RunningEmulator;
let integration: SolusioIntegration;

beforeAll(async () => {
  handle = await createTestDatabase();
  const section4 = await createSection4Customer(handle);
  const [plain] = await createCustomers(handle, [{ email: "plain@example.com" }]);
  em = await startEmulator({
    port: 0,
    logger: false,
    now: new Date("2026-10-01T00:00:00Z"),
    seed: {
      plans: [{ id: 1, name: "1 Core, 1 GB RAM", tokens_per_hour: 7, tokens_per_month: 5000 }],
      users: [
        { id: 5, email: "section4@example.com", billing_user_id: Number(section4) },
        { id: 6, email: "plain@example.com", billing_user_id: Number(plain) },
        { id: 7, email: "stranger@example.com", billing_user_id: 424242 },
      ],
    },
  });
  const solusio = emulatorDriver(em);
  for (const user of [5, 6, 7]) await solusio.createServer({ name: `vps-${user}`, plan: 1, user });
  await solusio.at("2026-11-02T00:00:00Z");
  // As `serve` has it: the configured SolusIO, connected (billing reads it only through the integration).
  integration = emulatorIntegration(handle, em);
  server = await startTestServer(
    handle.db,
    { SOLUSIO_URL: em.apiUrl, SOLUSIO_API_TOKEN: em.adminToken },
    { solusio: integration },
  );
});
afterAll(async () => {
  await server?.close();
  await integration?.connection.close();
  await em?.close();
  await handle?.close();
});

async function completed(id: string) {
  return waitUntil(`billing run ${id} to finish`, async () => {
    const r = await server.api("GET", `/api/v1/billing-runs/${id}`);
    return r.body.data.state !== "running" ? r.body.data : undefined;
  });
}

describe("billing runs API", () => {
  let runId = "";

  it("POST /billing-runs starts a run; GET shows its progress and then its summary", async () => {
    const started = await server.api("POST", "/api/v1/billing-runs", { period: "2026-10" });
    expect(started.status).toBe(201);
    expect(started.body.data).toMatchObject({ period: "2026-10", state: "running", source: "solusio" });
    runId = started.body.data.id;
    const run = await completed(runId);
    expect(run).toMatchObject({
      state: "completed",
      phase: "done",
      progress: { processed: 2, total: 2 },
      summary: {
        usage_records: 3,
        customers: 2,
        invoices: { created: 2, finalized: 2, by_status: { finalized: 2 } },
        totals: [{ currency: "USD", invoices: 2 }],
        anomalies: { total: 1, by_kind: { unknown_billing_user: 1 } },
      },
    });
    const listed = await server.api("GET", "/api/v1/billing-runs?period=2026-10");
    expect(listed.body.data.map((r: { id: string }) => r.id)).toEqual([runId]);
  });

  it("lists the run's anomalies: the unknown billing_user_id is reported, not dropped", async () => {
    const r = await server.api("GET", `/api/v1/billing-runs/${runId}/anomalies?kind=unknown_billing_user`);
    expect(r.status).toBe(200);
    expect(r.body.meta.total).toBe(1);
    expect(r.body.data[0]).toMatchObject({
      kind: "unknown_billing_user",
      billing_user_id: 424242,
      details: { tokens: 5000 },
    });
  });

  it("refuses bad input with a field-named 400, unknown runs with 404, and no key with 401", async () => {
    const bad = await server.api("POST", "/api/v1/billing-runs", { period: "2026-1" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues).toEqual([expect.objectContaining({ field: "period" })]);
    // A month written out is told the format, as the console's form is (until 2026-12-06: "must be at most
    // 7 characters", the schema's bare bound).
    const words = await server.api("POST", "/api/v1/billing-runs", { period: "October 2026" });
    expect(words.status).toBe(400);
    expect(words.body.error.issues).toEqual([
      expect.objectContaining({ field: "period", message: expect.stringContaining("YYYY-MM") }),
    ]);
    expect(JSON.stringify(words.body)).not.toContain("at most 7");
    const open = await server.api("POST", "/api/v1/billing-runs", { period: "2099-01" });
    expect([open.status, open.body.error.issues[0].field]).toEqual([400, "period"]);
    const extra = await server.api("POST", "/api/v1/billing-runs", { period: "2026-10", force: true });
    expect([extra.status, extra.body.error.issues[0].field]).toEqual([400, "force"]);
    expect((await server.api("GET", "/api/v1/billing-runs/run_0000")).status).toBe(404);
    const badId = await server.api("GET", "/api/v1/billing-runs/42");
    expect([badId.status, badId.body.error.issues[0].field]).toEqual([400, "path.id"]);
    expect((await fetch(`${server.url}/api/v1/billing-runs`, { method: "POST" })).status).toBe(401);
  });
});

describe("invoices API", () => {
  it("lists and filters invoices, and reads one with its lines", async () => {
    const all = await server.api("GET", "/api/v1/invoices?period=2026-10&status=finalized");
    expect(all.body.meta.total).toBe(2);
    expect(all.body.data.map((i: { number: string }) => i.number)).toEqual([
      "INV-2026-000001",
      "INV-2026-000002",
    ]);
    expect(all.body.data[0].lines).toBeUndefined();
    const byNumber = await server.api("GET", "/api/v1/invoices?number=INV-2026-000001");
    expect(byNumber.body.data).toHaveLength(1);
    const one = await server.api("GET", `/api/v1/invoices/${byNumber.body.data[0].id}`);
    expect(one.body.data).toMatchObject({
      number: "INV-2026-000001",
      subtotal: 500,
      discounts: [{ name: "Special Client Group Discount", multiplier: "0.95", amount: 25 }],
      net: 475,
      taxes: [
        { label: "City Tax", rate: "6", amount: 29 },
        { label: "State Tax", rate: "2", amount: 10 },
      ],
      total: 514,
      lines: [{ kind: "server", hours: 744, charge_kind: "monthly_cap", tokens: 5000, amount: 500 }],
    });
    const none = await server.api("GET", "/api/v1/invoices?status=paid");
    expect(none.body.data).toEqual([]);
    expect((await server.api("GET", "/api/v1/invoices?status=open")).status).toBe(400);
  });

  it("marks a finalized invoice paid (amount = total, date, reference) once, and never voids it afterwards", async () => {
    const [invoice] = (await server.api("GET", "/api/v1/invoices?number=INV-2026-000001")).body.data;
    const path = `/api/v1/invoices/${invoice.id}`;
    const wrong = await server.api("POST", `${path}/mark-paid`, {
      amount: 500,
      date: "2026-11-20",
      reference: "bank 1",
    });
    expect([wrong.status, wrong.body.error.issues[0].field]).toEqual([400, "amount"]);
    const badDate = await server.api("POST", `${path}/mark-paid`, {
      amount: 514,
      date: "2026-02-30",
      reference: "x",
    });
    expect([badDate.status, badDate.body.error.issues[0].field]).toEqual([400, "date"]);
    const paid = await server.api("POST", `${path}/mark-paid`, {
      amount: 514,
      date: "2026-11-20",
      reference: "bank 1",
    });
    expect(paid.status).toBe(200);
    expect(paid.body.data).toMatchObject({
      status: "paid",
      payment: { amount: 514, date: "2026-11-20", reference: "bank 1" },
      number: "INV-2026-000001",
      total: 514,
    });
    // The same call again (a retry after a lost answer) is answered with the invoice, nothing written; until
    // 2026-12-05 it was 409 "is paid".
    const retried = await server.api("POST", `${path}/mark-paid`, {
      amount: 514,
      date: "2026-11-20",
      reference: "bank 1",
    });
    expect([retried.status, retried.body.data]).toEqual([200, paid.body.data]);
    const payments = await server.api("GET", `/api/v1/payments?invoice_id=${invoice.id}`);
    expect(payments.body.data).toHaveLength(1);
    expect(
      (await server.api("POST", `${path}/mark-paid`, { amount: 514, date: "2026-11-20", reference: "again" }))
        .status,
    ).toBe(409);
    expect(
      (
        await server.api("POST", `${path}/mark-paid`, {
          amount: 514,
          date: "2026-11-21",
          reference: "bank 1",
        })
      ).status,
    ).toBe(409);
    expect((await server.api("POST", `${path}/void`, { reason: "mistake" })).status).toBe(409);
  });

  it("voids a finalized invoice, keeping its number; a re-run does not bill the period again", async () => {
    const [invoice] = (await server.api("GET", "/api/v1/invoices?number=INV-2026-000002")).body.data;
    const path = `/api/v1/invoices/${invoice.id}`;
    expect((await server.api("POST", `${path}/void`, {})).status).toBe(400);
    const voided = await server.api("POST", `${path}/void`, { reason: "customer left before the period" });
    expect(voided.body.data).toMatchObject({
      status: "void",
      number: "INV-2026-000002",
      void: { reason: "customer left before the period" },
    });
    const again = await server.api("POST", "/api/v1/billing-runs", { period: "2026-10" });
    const run = await completed(again.body.data.id);
    expect(run.summary.invoices).toMatchObject({
      created: 0,
      already_present: 2,
      finalized: 0,
      by_status: { paid: 1, void: 1 },
    });
    expect((await server.api("GET", "/api/v1/invoices/inv_00")).status).toBe(404);
    expect((await server.api("POST", "/api/v1/invoices/inv_00/void", { reason: "x" })).status).toBe(404);
  });

  it("reissues the void invoice: the next run bills the period again under a new number", async () => {
    const [invoice] = (await server.api("GET", "/api/v1/invoices?number=INV-2026-000002")).body.data;
    const path = `/api/v1/invoices/${invoice.id}`;
    const [paid] = (await server.api("GET", "/api/v1/invoices?number=INV-2026-000001")).body.data;
    const notVoid = await server.api("POST", `/api/v1/invoices/${paid.id}/reissue`);
    expect(notVoid.status).toBe(409);
    expect(notVoid.body.error.message).toContain("only a void invoice can be reissued");
    expect((await server.api("POST", `${path}/void`, { reason: "x", reissue: "yes" })).status).toBe(400);
    const released = await server.api("POST", `${path}/reissue`);
    expect(released.status).toBe(200);
    expect(released.body.data.void).toMatchObject({
      reason: "customer left before the period",
      released_at: expect.any(String),
    });
    expect((await server.api("POST", `${path}/reissue`)).status).toBe(409);
    const again = await server.api("POST", "/api/v1/billing-runs", { period: "2026-10" });
    const run = await completed(again.body.data.id);
    expect(run.summary.invoices).toMatchObject({ created: 1, already_present: 1, finalized: 1 });
    const month = (
      await server.api("GET", `/api/v1/invoices?period=2026-10&customer_id=${invoice.customer_id}`)
    ).body.data;
    expect(month.map((i: { number: string; status: string }) => [i.number, i.status])).toEqual([
      ["INV-2026-000002", "void"],
      ["INV-2026-000003", "finalized"],
    ]);
    expect((await server.api("POST", "/api/v1/invoices/inv_00/reissue")).status).toBe(404);
  });

  it("documents the routes in the OpenAPI document", async () => {
    const doc = (await fetch(`${server.url}/api/v1/openapi.json`).then((r) => r.json())) as {
      paths: Record<string, unknown>;
    };
    for (const path of [
      "/api/v1/billing-runs",
      "/api/v1/billing-runs/{id}",
      "/api/v1/invoices/{id}/mark-paid",
      "/api/v1/invoices/{id}/void",
      "/api/v1/invoices/{id}/reissue",
    ]) {
      expect(doc.paths[path]).toBeDefined();
    }
  });
});

describe("server polls API", () => {
  it("POST /server-polls records one poll of SolusIO's servers through the configured SolusIO", async () => {
    // With a JSON content type and no body, as some clients send every POST (a 400 about the empty body before).
    const response = await fetch(`${server.url}/api/v1/server-polls`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, "content-type": "application/json" },
    });
    const r = { status: response.status, body: await response.json() };
    expect(r.status).toBe(201);
    expect(r.body.data).toMatchObject({ servers: 3, gone: 0 });
    const snapshots = await handle.db.selectFrom("server_snapshot").select("name").orderBy("name").execute();
    expect(snapshots.map((row) => row.name)).toEqual(["vps-5", "vps-6", "vps-7"]);
  });

  it("stops a run launched by a request at its next batch when the server closes, and records it as interrupted", async () => {
    // What the server gives a request's context: its background work, stopped and awaited at close.
    const background = new BackgroundWork();
    const ctx = {
      ...billingContext(handle, {}, new Date("2026-11-02T00:00:00Z")),
      solusio: integration,
      signal: background.signal,
      background,
    };
    const { run } = await launchBillingRun({ ctx, input: { period: "2026-10" } });
    await background.stop();
    const row = await handle.db
      .selectFrom("billing_run")
      .select(["state", "error"])
      .where("id", "=", run.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      state: "failed",
      error: "interrupted: the process was stopping; the next attempt resumes where this one stopped",
    });
  });
});
