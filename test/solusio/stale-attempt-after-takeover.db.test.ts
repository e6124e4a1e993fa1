import { pino } from "pino";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobRunner } from "../../src/app/runner.ts";
import {
  type SolusioHarness,
  solusioUsersCarrying,
  startSolusioHarness,
  waitForJobs,
} from "../helpers/solusio-harness.ts";

// Two tokenbill instances on one database. Instance A's claim on a customer's lock ran out while A waited for
// SolusIO (its renewals did not reach the database); instance B ran the lock, and then the customer's unlock.
// A's attempt, holding the customer as it was (locked), must not send its PUT after B's: SolusIO would keep the
// customer locked while tokenbill says active and in sync.

let h: SolusioHarness;

beforeAll(async () => {
  // Claims renewed every second, so that A hears of the takeover within a second.
  h = await startSolusioHarness({ JOB_LOCK_SECONDS: 3 });
}, 60_000);
afterAll(async () => h?.close());

describe("a sync attempt whose claim another instance took over", () => {
  it("sends SolusIO nothing more, so the customer's later change stays what SolusIO holds", async () => {
    const created = await h.server.api("POST", "/api/v1/customers", {
      email: "taken-over@example.com",
      country: "DE",
      currency: "EUR",
    });
    const id = created.body.data.id;
    await h.runner.drain();
    const [before] = await solusioUsersCarrying(h, Number(id));
    expect(before).toMatchObject({ status: "active" });

    // A's read of the user is held 8 s (once: B's reads are not slowed); past the client's 5 s it is asked again.
    await h.emu("POST", "/_emulator/faults", {
      rules: [{ path: `/api/v1/users/${before!.id}`, methods: ["GET"], latency_ms: 8000, times: 1 }],
    });
    const a = createJobRunner(h.db, h.config, pino({ level: "silent" }), h.integration, { pollMs: 20 });
    await h.server.api("PATCH", `/api/v1/customers/${id}`, { status: "locked" });
    a.start();
    // The rule is gone once A's read has arrived (and is being held).
    await expect.poll(async () => (await h.emu("GET", "/_emulator/faults")).body.data).toEqual([]);
    // A waits for SolusIO; its claim runs out meanwhile and B takes the lock over, then the unlock.
    await h.db
      .updateTable("job")
      .set({ locked_until: sql<Date>`now() - interval '1 second'` })
      .where("ordering_key", "=", `customer:${id}`)
      .where("status", "=", "running")
      .execute();
    await h.runner.drain();
    await h.server.api("PATCH", `/api/v1/customers/${id}`, { status: "active" });
    await h.runner.drain();
    await waitForJobs(h.db);
    // Once A's attempt has ended (stop waits for its handlers), SolusIO holds the customer's last change.
    await a.stop();
    expect((await h.server.api("GET", `/api/v1/customers/${id}`)).body.data).toMatchObject({
      status: "active",
      sync: { state: "in_sync" },
    });
    const [after] = await solusioUsersCarrying(h, Number(id));
    expect(after).toMatchObject({ status: "active" });
  });
});
