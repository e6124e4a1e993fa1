import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { systemContext } from "../../src/app/database.ts";
import { actors } from "../../src/kernel/actor.ts";
import { createStaffUser } from "../../src/services/staff/staff-users.ts";
import { ConsoleClient } from "../../src/web/console/customer-test-client.ts";
import { type SolusioHarness, startSolusioHarness, waitForJobs } from "../helpers/solusio-harness.ts";

// While SolusIO answers 5xx, a customer's sync is retried with backoff and stays pending; its sync state says
// why (sync.error, in the API and on the console's customer page) instead of pending with no reason. The
// runner is driven by hand for the failing attempt, so the test sees the state between two attempts.

let h: SolusioHarness;
let owner: ConsoleClient;

beforeAll(async () => {
  h = await startSolusioHarness();
  const ctx = systemContext(h.handle, h.config, pino({ level: "silent" }), actors.cli());
  const password = "sync error password";
  await createStaffUser({ ctx, input: { email: "owner@example.com", role: "owner", password } });
  owner = await ConsoleClient.logIn(h.server.url, "owner@example.com", password);
}, 60_000);
afterEach(async () => {
  await h.runner.stop();
  await h.emu("DELETE", "/_emulator/faults");
});
afterAll(async () => h?.close());

describe("a sync while SolusIO fails with 5xx", () => {
  it("shows pending with the last attempt's error, and clears it once SolusIO answers", async () => {
    await h.emu("POST", "/_emulator/faults", {
      rules: [{ path: "/api/v1/users*", error_rate: 1, error_status: 502 }],
    });
    const created = await h.server.api("POST", "/api/v1/customers", {
      email: "while-down@example.com",
      country: "DE",
      currency: "EUR",
    });
    const id = created.body.data.id;
    expect(created.body.data.sync).toMatchObject({ state: "pending", error: null });
    expect(await h.runner.runOnce()).toBe(1);

    const pending = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data.sync;
    expect(pending.state).toBe("pending");
    expect(pending.error).toMatch(/^retrying after attempt 1: .*502/);
    const job = await h.db
      .selectFrom("job")
      .select(["status", "last_error"])
      .where("ordering_key", "=", `customer:${id}`)
      .executeTakeFirstOrThrow();
    expect(job.status).toBe("pending");
    expect(pending.error).toContain(job.last_error);
    const page = await owner.get(`/console/customers/${id}`);
    expect(page.text).toMatch(/Sync error: retrying after attempt 1: .*502/);

    await h.emu("DELETE", "/_emulator/faults");
    h.runner.start();
    await waitForJobs(h.db);
    const synced = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data.sync;
    expect(synced).toMatchObject({ state: "in_sync", error: null });
  });

  it("does the same for a change of a customer already in SolusIO", async () => {
    const created = await h.server.api("POST", "/api/v1/customers", {
      email: "changed-while-down@example.com",
      country: "DE",
      currency: "EUR",
    });
    const id = created.body.data.id;
    await h.runner.drain();
    expect((await h.server.api("GET", `/api/v1/customers/${id}`)).body.data.sync.state).toBe("in_sync");
    await h.emu("POST", "/_emulator/faults", {
      rules: [{ path: "/api/v1/users*", error_rate: 1, error_status: 500 }],
    });
    await h.server.api("PATCH", `/api/v1/customers/${id}`, { status: "locked" });
    expect(await h.runner.runOnce()).toBe(1);
    const pending = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data.sync;
    expect(pending.state).toBe("pending");
    expect(pending.error).toMatch(/^retrying after attempt 1: .*500/);
  });
});
