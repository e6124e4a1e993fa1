import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { serverSnapshot, serversListing } from "../testing/server-snapshots.ts";
import { pollServers } from "../usage/poll-servers.ts";
import { startSchedules } from "../../app/schedules.ts";

// The scheduler bills the due period once (a second scheduler finds it done), here from server snapshots
// (usage source b) whose last poll predates the period's end: that is reported, not hidden.

let handle: DatabaseHandle;
let customer: bigint;
beforeAll(async () => {
  handle = await createTestDatabase();
  [customer] = (await createCustomers(handle, [{ email: "s@example.com" }])) as [bigint];
});
afterAll(async () => handle?.close());

const server = (id: number, ips: number) => serverSnapshot({ id, customer, ips });

describe("the billing schedule", () => {
  it("bills the due period from snapshots once, reporting that the last poll was before the period's end", async () => {
    const poll = (at: string, list: unknown[]) =>
      pollServers({
        ctx: billingContext(handle, {}, new Date(at)),
        input: { solusio: serversListing(list) },
      });
    await poll("2026-10-10T00:00:00Z", [server(1, 2), server(2, 0)]);
    // Server 2 is gone at the next poll: billed until its last sighting (hours started by then: 1).
    expect(await poll("2026-10-10T00:30:00Z", [server(1, 2)])).toMatchObject({ servers: 1, gone: 1 });

    // Billing since October: on a new database the schedule would start at November (billing-start.ts).
    const ctx = billingContext(
      handle,
      { USAGE_SOURCE: "snapshots", BILLING_START_PERIOD: "2026-10" },
      new Date("2026-11-01T02:00:00Z"),
    );
    const scheduler = startSchedules(ctx, ["billing"]);
    await scheduler.idle();
    await scheduler.stop();
    const runs = await handle.db.selectFrom("billing_run").selectAll().execute();
    expect(runs.map((r) => [r.period, r.state, r.source])).toEqual([["2026-10", "completed", "snapshots"]]);
    const anomalies = await handle.db.selectFrom("billing_anomaly").select(["kind"]).execute();
    expect(anomalies).toEqual([{ kind: "snapshot_stale" }]);

    const lines = await handle.db
      .selectFrom("invoice_line")
      .select(["server_id", "kind", "hours", "tokens", "quantity"])
      .orderBy("position")
      .execute();
    expect(lines).toEqual([
      // Still listed: running to October's end, 528 h × 7 = 3696; each of 2 IPs 528 h capped at 500, so
      // 1056 IP-hours (§2.2).
      { server_id: 1n, kind: "server", hours: 528n, tokens: 3696n, quantity: 1n },
      { server_id: 1n, kind: "additional_ips", hours: 1056n, tokens: 1000n, quantity: 2n },
      { server_id: 2n, kind: "server", hours: 1n, tokens: 7n, quantity: 1n },
    ]);

    const again = startSchedules(ctx, ["billing"]);
    await again.idle();
    await again.stop();
    expect(await handle.db.selectFrom("billing_run").select("id").execute()).toHaveLength(1);
  });
});
