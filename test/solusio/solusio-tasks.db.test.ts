import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemContext } from "../../src/app/database.ts";
import { parseConfig } from "../../src/config.ts";
import { startSchedules } from "../../src/app/schedules.ts";
import { type SolusioHarness, startSolusioHarness, waitForJobs } from "../helpers/solusio-harness.ts";
import { actors } from "../../src/kernel/actor.ts";

// The clockwork of `serve` against SolusIO: scheduled reconciliation (report only) and server polls.

let h: SolusioHarness;
beforeAll(async () => {
  h = await startSolusioHarness();
  h.runner.start();
});
afterAll(async () => h?.close());

describe("scheduled SolusIO tasks", () => {
  it("polls GET servers when snapshots are a usage source, and logs reconciliation drift without fixing it", async () => {
    const c = await h.server.api("POST", "/api/v1/customers", {
      email: "tick@example.com",
      country: "DE",
      currency: "EUR",
    });
    await waitForJobs(h.db);
    const user = (await h.emu("GET", "/api/v1/users?per_page=100")).body.data.find(
      (u: any) => u.billing_user_id === c.body.data.id,
    );
    await h.emu("PUT", `/api/v1/users/${user.id}`, { status: "locked" });

    const lines: string[] = [];
    const logger = pino(
      { level: "info" },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    // 50 ms, below the setting's minute (src/config/config-schema.ts): a test's clock, not a configuration.
    const config = {
      ...parseConfig({ USAGE_SOURCE: "snapshots", LOG_LEVEL: "silent" }),
      RECONCILE_INTERVAL_MS: 50,
    };
    const ctx = systemContext(h.handle, config, logger, actors.system("scheduler"), h.integration);
    const schedules = startSchedules(ctx, ["server poll", "reconciliation"]);
    try {
      await expect.poll(() => lines.some((l) => l.includes("reconciliation: 1 differences"))).toBe(true);
      // The poll runs beside the reconciliation, and may end after it (seen on PostgreSQL, main's code too).
      await expect
        .poll(async () => (await h.db.selectFrom("server_poll").selectAll().execute()).length)
        .toBeGreaterThanOrEqual(1);
    } finally {
      await schedules.stop();
    }
    // Report only: SolusIO still has the drift.
    expect((await h.emu("GET", `/api/v1/users/${user.id}`)).body.data.status).toBe("locked");
    expect(lines.join("")).not.toContain(h.emulator.adminToken);
  });
});
