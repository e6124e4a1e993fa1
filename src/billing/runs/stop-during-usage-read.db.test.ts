import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../../emulator/start.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { waitUntil } from "../../../test/helpers/wait-until.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { BackgroundWork } from "../../kernel/background-work.ts";
import type { SolusioIntegration } from "../../solusio/integration.ts";
import { billingContext, createSection4Customer } from "../testing/billing-fixtures.ts";
import { emulatorDriver } from "../testing/emulator-driver.ts";
import { emulatorIntegration } from "../testing/emulator-integration.ts";
import { launchBillingRun } from "./launch-billing-run.ts";

// SIGTERM to `serve` while a billing run waited on a slow GET usage: the read went on for its timeout and
// retries, the process was killed after 10 s, and the run stayed "running" until it was taken as abandoned
// 10 minutes later. The stopping signal now cancels the read in flight: the run is recorded interrupted at once.

let handle: DatabaseHandle;
let em: RunningEmulator;
let integration: SolusioIntegration;

beforeAll(async () => {
  handle = await createTestDatabase();
  const customer = await createSection4Customer(handle, "slow@example.com");
  em = await startEmulator({
    port: 0,
    logger: false,
    now: new Date("2026-10-01T00:00:00Z"),
    seed: {
      plans: [{ id: 1, name: "1 Core", tokens_per_hour: 7, tokens_per_month: 5000 }],
      users: [{ id: 5, email: "slow@example.com", billing_user_id: Number(customer) }],
    },
  });
  const solusio = emulatorDriver(em);
  await solusio.createServer({ name: "vps", plan: 1, user: 5 });
  await solusio.at("2026-11-02T00:00:00Z");
  integration = emulatorIntegration(handle, em);
});
afterAll(async () => {
  await fetch(`${em.url}/_emulator/faults`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${em.adminToken}` },
  });
  await integration?.connection.close();
  await em?.close();
  await handle?.close();
});

describe("a billing run waiting on a slow SolusIO when the process stops", () => {
  it("cancels the usage read in flight and records the run as interrupted", { timeout: 20_000 }, async () => {
    await fetch(`${em.url}/_emulator/faults`, {
      method: "POST",
      headers: { authorization: `Bearer ${em.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ rules: [{ path: "/api/v1/usage*", latency_ms: 15_000 }] }),
    });
    const background = new BackgroundWork();
    const ctx = {
      ...billingContext(handle, {}, new Date("2026-11-02T00:00:00Z")),
      solusio: integration,
      signal: background.signal,
      background,
    };
    const { run } = await launchBillingRun({ ctx, input: { period: "2026-10" } });
    // The run's read of GET usage has reached SolusIO (the emulator's slow rule matched it), which then waits 15 s.
    await waitUntil("the run's GET usage to reach the emulator", async () => {
      const faults = await fetch(`${em.url}/_emulator/faults`, {
        headers: { authorization: `Bearer ${em.adminToken}` },
      });
      return ((await faults.json()).data as { matched: number }[])[0]!.matched > 0;
    });
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
