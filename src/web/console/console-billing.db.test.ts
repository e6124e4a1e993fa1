import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BilledWorld, finishedRun, octoberToBill } from "./billing-run-test-fixture.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer } from "../../../test/helpers/test-server.ts";
import { createStaffPerRole, PageClient, textOf } from "./pricing-test-client.ts";

// The console's billing run pages over real HTTP against the emulator: start a run from the form (with the
// verb's refusals next to the field), follow it on its page — which reloads itself only while the run is
// running — to the summary and the anomalies, and the role check of the verb.

let world: BilledWorld;
let owner: PageClient;

beforeAll(async () => {
  world = await octoberToBill();
  owner = await new PageClient(world.server.url).logIn("owner@example.com");
});
afterAll(async () => {
  await world?.close();
});

describe("billing run pages", () => {
  let runPath = "";

  it("refuses a malformed month and an open month next to the field, starting nothing", async () => {
    const bad = await owner.submit("/console/billing-runs", "/console/billing-runs", { period: "2026-1" });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="period-error">[^<]+/);
    expect(bad.text).toContain('value="2026-1"');
    const open = await owner.submit("/console/billing-runs", "/console/billing-runs", { period: "2099-01" });
    expect(open.status).toBe(400);
    expect(open.text).toMatch(/id="period-error">2099-01 cannot be billed before/);
    // The time as the console writes every time (until 2026-12-06 the API's 2099-02-01T00:00:00.000Z).
    expect(open.text).toMatch(
      /cannot be billed before <time datetime="2099-02-0[12]T\d\d:\d\dZ">2099-02-0[12] \d\d:\d\d UTC<\/time> \(/,
    );
    // Its ISO 8601 value is the <time> element's datetime only, never the text.
    expect(open.text.replace(/ datetime="[^"]*"/g, "")).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    // A month written out is told the format expected, not its length.
    const words = await owner.submit("/console/billing-runs", "/console/billing-runs", {
      period: "October 2026",
    });
    expect(words.status).toBe(400);
    expect(words.text).toMatch(
      /id="period-error">Must be a month written YYYY-MM, e\.g\. &quot;2026-10&quot;\./,
    );
    // A control character: the form again with the month kept without it and the field named (until
    // 2026-12-06 the 400 error page, the month lost).
    const bell = await owner.submit("/console/billing-runs", "/console/billing-runs", {
      period: "2026-10\u0007",
    });
    expect(bell.status).toBe(400);
    expect(bell.text).toContain('value="2026-10"');
    expect(bell.text).toMatch(/id="period-error">Held a control character/);
    expect((await world.server.api("GET", "/api/v1/billing-runs")).body.meta.total).toBe(0);
  });

  it("lets support read the runs but not start one", async () => {
    const support = await new PageClient(world.server.url).logIn("support@example.com");
    expect((await support.get("/console/billing-runs")).status).toBe(200);
    const refused = await support.submit("/console/billing-runs", "/console/billing-runs", {
      period: "2026-10",
    });
    expect(refused.status).toBe(403);
    expect((await world.server.api("GET", "/api/v1/billing-runs")).body.meta.total).toBe(0);
  });

  it("starts a run from the form and goes to its page", async () => {
    const started = await owner.submit("/console/billing-runs", "/console/billing-runs", {
      period: "2026-10",
    });
    expect(started.status).toBe(303);
    expect(started.location).toMatch(/^\/console\/billing-runs\/run_[0-9a-f]+\?notice=started$/);
    runPath = started.location!.split("?")[0]!;
    const page = await owner.get(started.location!);
    expect(page.status).toBe(200);
    expect(textOf(page.text)).toContain("The run has started");
    expect(textOf(page.text)).toContain("Billing run 2026-10");
  });

  it("shows the summary, the totals in the currency's format and the anomaly once the run is done", async () => {
    const run = await finishedRun(world.server, runPath.split("/").pop()!);
    expect(run.state).toBe("completed");
    const page = await owner.get(runPath);
    const text = textOf(page.text);
    expect(page.text).not.toContain('http-equiv="refresh"');
    expect(text).toContain("State completed");
    expect(text).toContain("Customers billed 2");
    expect(text).toContain("Invoices finalized 2");
    // $5.14 (the §4 customer) + $5.00: USD, 2 invoices, subtotal $10.00 … total $10.14.
    expect(text).toMatch(/USD 2 \$10\.00 \$0\.25 \$0\.39 \$10\.14/);
    expect(text).toMatch(/unknown_billing_user .+ 424242/);
    expect(page.text).toContain('href="/console/invoices?period=2026-10"');
    // The address the form sent to, once the run is done, says so (until 2026-12-05 "This page follows its
    // progress." stayed above the finished run's summary).
    const after = textOf((await owner.get(`${runPath}?notice=started`)).text);
    expect(after).toContain("The run has started and finished: its summary is below.");
    expect(after).not.toContain("follows its progress");

    const list = textOf((await owner.get("/console/billing-runs")).text);
    expect(list).toContain("2026-10 completed done 2 / 2");
  });

  it("reloads itself every 3 seconds while a run is running, unless asked to stop", async () => {
    // A run another instance is working on: its row says running (written here, so nothing races the test).
    const now = new Date();
    await world.handle.db
      .insertInto("billing_run")
      .values({
        id: "run_00000000000000aa",
        period: "2026-09",
        period_start: new Date("2026-09-01T00:00:00Z"),
        period_end: new Date("2026-10-01T00:00:00Z"),
        source: "solusio",
        actor: "cli",
        started_at: now,
        heartbeat_at: now,
      })
      .execute();
    const running = await owner.get("/console/billing-runs/run_00000000000000aa");
    expect(running.text).toContain('data-follow="3"');
    expect(running.text).toContain('<script src="/console/assets/follow-page.js" defer></script>');
    expect(running.text).not.toContain('http-equiv="refresh"');
    expect(textOf(running.text)).toContain("State running");
    const script = await owner.get("/console/assets/follow-page.js");
    expect(script.status).toBe(200);
    expect(script.text).toContain("[data-follow]");
  });

  it("answers an unknown or malformed run id with a page, not a 500", async () => {
    expect((await owner.get("/console/billing-runs/run_0000")).status).toBe(404);
    expect((await owner.get("/console/billing-runs/42")).status).toBe(400);
  });
});

describe("the billing run form", () => {
  it("offers the month that ended last in the billing time zone", async () => {
    // 02:00 UTC on 1 December is still 30 November in New York: November has not ended there, October has.
    const handle = await createTestDatabase();
    const server = await startTestServer(
      handle.db,
      { BILLING_TIME_ZONE: "America/New_York" },
      { now: () => new Date("2026-12-01T02:00:00Z") },
    );
    try {
      await createStaffPerRole(handle, ["owner"]);
      const page = await (await new PageClient(server.url).logIn("owner@example.com")).get(
        "/console/billing-runs",
      );
      expect(page.status).toBe(200);
      expect(page.text).toMatch(/name="period"[^>]*value="2026-10"|value="2026-10"[^>]*name="period"/);
    } finally {
      await server.close();
      await handle.close();
    }
  });
});
