import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import {
  FINALIZER_LEASE_LAPSES_MS,
  FinalizerLeaseLost,
  finalizerLeaseHolder,
  releaseFinalizerLease,
  renewFinalizerLease,
  takeFinalizerLease,
} from "./finalizer-lease.ts";

// The period's finalizer lease (finalizer-lease.ts), on both databases: one run holds it, a lapsed one is taken
// over, and a run that lost it finds out when it renews.

let handle: DatabaseHandle;
const PERIOD = "2026-10";

/** A run of the period that has ended (the lease refers to its run). */
const runRow = (id: string) => ({
  id,
  period: PERIOD,
  period_start: new Date("2026-10-01T00:00:00Z"),
  period_end: new Date("2026-11-01T00:00:00Z"),
  source: "snapshots",
  state: "failed" as const,
  actor: "test",
  started_at: new Date(),
  heartbeat_at: new Date(),
});
const RUNS = ["run_a1", "run_b2", "run_c3", "run_d4", "run_e5"];

beforeAll(async () => {
  handle = await createTestDatabase();
  await handle.db.insertInto("billing_run").values(RUNS.map(runRow)).execute();
});
afterAll(() => handle.close());
beforeEach(() => handle.db.deleteFrom("finalizer_lease").execute());

/** Makes the held lease look last renewed `ms` ago. */
async function renewedAgo(ms: number) {
  await handle.db
    .updateTable("finalizer_lease")
    .set({ renewed_at: sql`statement_timestamp() - make_interval(secs => ${ms / 1000})` })
    .execute();
}

describe("the finalizer lease", () => {
  it("goes to the first run that asks; another waits while it is renewed; the holder may ask again", async () => {
    expect(await takeFinalizerLease(handle.db, PERIOD, "run_a1")).toBe(true);
    expect(await takeFinalizerLease(handle.db, PERIOD, "run_b2")).toBe(false);
    expect(await takeFinalizerLease(handle.db, PERIOD, "run_a1")).toBe(true);
    expect(await finalizerLeaseHolder(handle.db, PERIOD)).toBe("run_a1");
    // Another period is another lease.
    expect(await takeFinalizerLease(handle.db, "2026-09", "run_b2")).toBe(true);
  });

  it("is taken over once it has not been renewed for the lapse, and not a moment before", async () => {
    await takeFinalizerLease(handle.db, PERIOD, "run_a1");
    await renewedAgo(FINALIZER_LEASE_LAPSES_MS - 5_000);
    expect(await takeFinalizerLease(handle.db, PERIOD, "run_b2")).toBe(false);
    await renewedAgo(FINALIZER_LEASE_LAPSES_MS + 1_000);
    expect(await takeFinalizerLease(handle.db, PERIOD, "run_b2")).toBe(true);
    expect(await finalizerLeaseHolder(handle.db, PERIOD)).toBe("run_b2");
  });

  it("renewing keeps it from lapsing; a run that lost it is told so when it renews, and changes nothing", async () => {
    await takeFinalizerLease(handle.db, PERIOD, "run_a1");
    await renewedAgo(FINALIZER_LEASE_LAPSES_MS + 1_000);
    await handle.db.transaction().execute((trx) => renewFinalizerLease(trx, PERIOD, "run_a1"));
    expect(await takeFinalizerLease(handle.db, PERIOD, "run_b2")).toBe(false);

    await renewedAgo(FINALIZER_LEASE_LAPSES_MS + 1_000);
    expect(await takeFinalizerLease(handle.db, PERIOD, "run_b2")).toBe(true);
    const renewing = handle.db.transaction().execute((trx) => renewFinalizerLease(trx, PERIOD, "run_a1"));
    await expect(renewing).rejects.toBeInstanceOf(FinalizerLeaseLost);
    await expect(renewing).rejects.toThrow(/^stopped finalizing 2026-10: another run took the period over/);
    expect(await finalizerLeaseHolder(handle.db, PERIOD)).toBe("run_b2");
  });

  it("is given up only by its holder", async () => {
    await takeFinalizerLease(handle.db, PERIOD, "run_a1");
    await releaseFinalizerLease(handle.db, PERIOD, "run_b2");
    expect(await finalizerLeaseHolder(handle.db, PERIOD)).toBe("run_a1");
    await releaseFinalizerLease(handle.db, PERIOD, "run_a1");
    expect(await finalizerLeaseHolder(handle.db, PERIOD)).toBeUndefined();
    expect(await takeFinalizerLease(handle.db, PERIOD, "run_b2")).toBe(true);
  });

  it("of runs asking at once, exactly one gets it", async () => {
    const taken = await Promise.all(RUNS.map((run) => takeFinalizerLease(handle.db, PERIOD, run)));
    expect(taken.filter(Boolean)).toHaveLength(1);
    expect(await finalizerLeaseHolder(handle.db, PERIOD)).toBe(RUNS[taken.indexOf(true)]);
  });

  it("of runs taking a lapsed lease over at once, exactly one gets it", async () => {
    await takeFinalizerLease(handle.db, PERIOD, "run_a1");
    await renewedAgo(FINALIZER_LEASE_LAPSES_MS + 1_000);
    const others = RUNS.slice(1);
    const taken = await Promise.all(others.map((run) => takeFinalizerLease(handle.db, PERIOD, run)));
    expect(taken.filter(Boolean)).toHaveLength(1);
    expect(await finalizerLeaseHolder(handle.db, PERIOD)).toBe(others[taken.indexOf(true)]);
  });

  it("goes with its run's row", async () => {
    await handle.db.insertInto("billing_run").values(runRow("run_f6")).execute();
    await takeFinalizerLease(handle.db, PERIOD, "run_f6");
    await handle.db.deleteFrom("billing_run").where("id", "=", "run_f6").execute();
    expect(await finalizerLeaseHolder(handle.db, PERIOD)).toBeUndefined();
  });
});
