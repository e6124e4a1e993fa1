import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { billingContext } from "../billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { startSchedules } from "./schedules.ts";

// Two instances on one database (each with its own schedules and runner, as two processes have) fire the
// billing slot of October at the same moment; later a third fires it again.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const ctx = () => billingContext(handle, { USAGE_SOURCE: "snapshots" }, new Date("2026-11-01T02:00:00Z"));

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
});
