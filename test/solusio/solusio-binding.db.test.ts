import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import { launchBillingRun } from "../../src/billing/runs/launch-billing-run.ts";
import { runBilling } from "../../src/billing/runs/run-billing.ts";
import { connectSolusio } from "../../src/solusio/connect-solusio.ts";
import { integrate } from "../../src/solusio/integration.ts";
import { ensureBound, readBinding, rebind, identifySolusio } from "../../src/solusio/solusio-binding.ts";
import { createJobRunner } from "../../src/app/runner.ts";
import { systemContext } from "../../src/app/database.ts";
import { SYNC_CUSTOMER_JOB } from "../../src/services/sync/enqueue-customer-sync.ts";
import { type SolusioHarness, startSolusioHarness, waitForJobs } from "../helpers/solusio-harness.ts";
import { actors } from "../../src/kernel/actor.ts";
import { waitUntil } from "../helpers/wait-until.ts";

// A database belongs to one SolusIO: once bound, billing, sync and the scheduler refuse
// another one — the production database that fell into sandbox mode could no longer bill an empty emulator.

let h: SolusioHarness;
let other: RunningEmulator;

beforeAll(async () => {
  h = await startSolusioHarness();
  other = await startEmulator({ port: 0, logger: false });
});
afterAll(async () => {
  await other?.close();
  await h?.close();
});

function otherIntegration() {
  const connection = connectSolusio(h.db, pino({ level: "silent" }), {
    apiUrl: other.apiUrl,
    token: other.adminToken,
    tlsInsecure: false,
    timeoutMs: 5000,
  });
  return integrate(connection, h.config);
}

describe("the database remembers its SolusIO", () => {
  it("binds to the first SolusIO it works with, by its URL and identity", async () => {
    expect(await readBinding(h.db)).toBeUndefined();
    await ensureBound(h.db, h.connection);
    const binding = await readBinding(h.db);
    expect(binding?.kind).toBe("solusio");
    expect(new URL(binding!.api_url).toString()).toBe(new URL(h.emulator.apiUrl).toString());
    expect(binding!.identity).toMatch(/^first-user:1:/);
  });

  it("refuses a billing run against another SolusIO before a run exists", async () => {
    const wrong = otherIntegration();
    const ctx = systemContext(h.handle, h.config, pino({ level: "silent" }), actors.system("test"), wrong);
    await expect(runBilling({ ctx, input: { period: "2026-10" } })).rejects.toThrow(
      /this database belongs to SolusIO at .* Billing, user sync and the scheduler refuse/,
    );
    await expect(launchBillingRun({ ctx, input: { period: "2026-10" } })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(await h.db.selectFrom("billing_run").selectAll().execute()).toEqual([]);
    await wrong.connection.close();
  });

  it("keeps sync jobs waiting instead of creating users in another SolusIO", async () => {
    const wrong = otherIntegration();
    const runner = createJobRunner(h.db, h.config, pino({ level: "silent" }), wrong, {
      backoffBaseMs: 20,
      backoffCapMs: 50,
      pollMs: 20,
    });
    const created = await h.server.api("POST", "/api/v1/customers", {
      email: "bound@example.com",
      country: "DE",
      currency: "EUR",
    });
    expect(created.status).toBe(201);
    runner.start();
    const syncJob = () =>
      h.db.selectFrom("job").selectAll().where("kind", "=", SYNC_CUSTOMER_JOB).executeTakeFirstOrThrow();
    // Refused twice and still waiting: the refusal is retried, it does not end the job.
    await waitUntil("the sync job's second refused attempt, or its end", async () => {
      const row = await syncJob();
      return (
        (row.status === "pending" && row.attempts >= 2) || row.status === "done" || row.status === "failed"
      );
    });
    await runner.stop();
    const job = await syncJob();
    expect(job.status).toBe("pending");
    expect(job.last_error).toMatch(/this database belongs to SolusIO/);
    const users = (await fetch(`${other.apiUrl}/users`, {
      headers: { authorization: `Bearer ${other.adminToken}` },
    }).then((r) => r.json())) as any;
    expect(users.data.map((u: any) => u.email)).not.toContain("bound@example.com");
    await wrong.connection.close();
    // The database's own SolusIO delivers the waiting job.
    h.runner.start();
    await waitForJobs(h.db);
    expect(
      (await h.server.api("GET", `/api/v1/customers/${created.body.data.id}`)).body.data.sync.state,
    ).toBe("in_sync");
  });

  it("moves to another SolusIO only when told to", async () => {
    const wrong = otherIntegration();
    await rebind(h.db, await identifySolusio(wrong.connection));
    await expect(ensureBound(h.db, wrong.connection)).resolves.toBeUndefined();
    await expect(ensureBound(h.db, h.connection)).resolves.toBeUndefined(); // checked before: cached
    const fresh = connectSolusio(h.db, pino({ level: "silent" }), {
      apiUrl: h.emulator.apiUrl,
      token: h.emulator.adminToken,
      tlsInsecure: false,
      timeoutMs: 5000,
    });
    await expect(ensureBound(h.db, fresh)).rejects.toMatchObject({ code: "CONFLICT" });
    await rebind(h.db, await identifySolusio(fresh));
    await fresh.close();
    await wrong.connection.close();
  });
});
