import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { billingContext, createCustomers } from "../billing/testing/billing-fixtures.ts";
import { pollServers } from "../billing/usage/poll-servers.ts";
import { serverSnapshot, serversListing } from "../billing/testing/server-snapshots.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { startSchedules } from "./schedules.ts";

// Two instances on one database (each with its own schedules and runner, as two processes have) fire the
// billing slot of October at the same moment; later a third fires it again.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

// A book billing since October (BILLING_START_PERIOD): on a new database the schedule would start at November
// (billing-start.ts) and leave October alone.
const ctx = () =>
  billingContext(
    handle,
    { USAGE_SOURCE: "snapshots", BILLING_START_PERIOD: "2026-10" },
    new Date("2026-11-01T02:00:00Z"),
  );

function slotJobs() {
  return handle.db
    .selectFrom("job")
    .select(["kind", "slot", "status", "attempts"])
    .where("slot", "is not", null)
    .execute();
}

describe("schedules", () => {
  it("start one billing run when two instances fire the same slot at once", async () => {
    const instances = [startSchedules(ctx(), ["billing"]), startSchedules(ctx(), ["billing"])];
    await Promise.all(instances.map((s) => s.idle()));
    await Promise.all(instances.map((s) => s.stop()));
    const runs = await handle.db.selectFrom("billing_run").select(["period", "state"]).execute();
    expect(runs).toEqual([{ period: "2026-10", state: "completed" }]);
    expect(await slotJobs()).toEqual([
      { kind: "billing.scheduled_run", slot: "billing:2026-10", status: "done", attempts: 1 },
    ]);
  });

  it("do nothing when a slot fires again, even when its work would otherwise run again", async () => {
    // Without the slot, a failed run is what makes the billing check start another one.
    await handle.db.updateTable("billing_run").set({ state: "failed" }).execute();
    const again = startSchedules(ctx(), ["billing"]);
    await again.idle();
    await again.stop();
    expect(await handle.db.selectFrom("billing_run").select("state").execute()).toEqual([
      { state: "failed" },
    ]);
    expect(await slotJobs()).toEqual([
      { kind: "billing.scheduled_run", slot: "billing:2026-10", status: "done", attempts: 1 },
    ]);
  });

  it("stop a billing run in progress at its next batch, and another instance takes its job up at once", async () => {
    // November, for 40 customers with a server each, one customer a batch: long enough to stop halfway.
    const ids = await createCustomers(
      handle,
      Array.from({ length: 40 }, (_, i) => ({ email: `stop-${i}@example.com` })),
    );
    const at = (iso: string) =>
      billingContext(handle, { USAGE_SOURCE: "snapshots", BILLING_BATCH_SIZE: 1 }, new Date(iso));
    await pollServers({
      ctx: at("2026-11-05T00:00:00Z"),
      input: {
        solusio: serversListing(
          ids.map((customer, i) =>
            serverSnapshot({ id: 1000 + i, customer, createdAt: "2026-11-01T00:00:00.000000Z" }),
          ),
        ),
      },
    });
    const december = () => at("2026-12-01T02:00:00Z");
    // The first instance is stopped once its run writes the progress of its first drafted batch.
    let drafting: () => void = () => {};
    const firstBatch = new Promise<void>((resolve) => {
      drafting = resolve;
    });
    const watched = handle.db.withPlugin({
      transformQuery: (args) => {
        const fragments = (args.node as { sqlFragments?: readonly string[] }).sqlFragments;
        if (fragments?.join("").includes("processed = processed +")) drafting();
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const first = startSchedules({ ...december(), db: watched }, ["billing"]);
    await firstBatch;
    await first.stop();
    const november = () => handle.db.selectFrom("billing_run").selectAll().where("period", "=", "2026-11");
    const [stopped] = await november().execute();
    expect([stopped!.state, stopped!.error]).toEqual([
      "failed",
      "interrupted: the process was stopping; the next attempt resumes where this one stopped",
    ]);
    const [job] = await handle.db
      .selectFrom("job")
      .select(["status", "attempts", "run_after"])
      .where("slot", "=", "billing:2026-11")
      .execute();
    // Stopping is not a failed attempt: the job waits with its attempt given back (job-runner.ts).
    expect([job!.status, job!.attempts]).toEqual(["pending", 0]);
    expect(job!.run_after.getTime()).toBeLessThanOrEqual(Date.now());

    const second = startSchedules(december(), ["billing"]);
    try {
      await expect
        .poll(async () => (await november().where("state", "=", "completed").execute()).length, {
          interval: 50,
        })
        .toBe(1);
    } finally {
      await second.stop();
    }
    const invoices = await handle.db
      .selectFrom("invoice")
      .select((eb) => eb.fn.countAll<bigint>().as("n"))
      .where("period", "=", "2026-11")
      .executeTakeFirstOrThrow();
    expect(invoices.n).toBe(40n);
  }, 90_000);
});
