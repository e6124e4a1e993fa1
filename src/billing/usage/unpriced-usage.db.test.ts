import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { type PageServer, startPageServer } from "../../solusio/testing/page-server.ts";
import { runBilling } from "../runs/run-billing.ts";
import { billingContext, OCTOBER } from "../testing/billing-fixtures.ts";
import { pollActivity } from "./poll-activity.ts";
import { SnapshotUsageSource } from "./snapshot-usage-source.ts";

// A server created on plan "Doomed", resized, deleted, and the plan then deleted in SolusIO: GET plans no
// longer prices it when the log is read. The activity source dropped the whole server without a word; now
// it bills what it can price and reports the rest (unpriced_usage), and the poller prices a deleted plan as
// an earlier poll recorded it.

let handle: DatabaseHandle;
let solusio: PageServer | undefined;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterEach(async () => {
  await solusio?.close();
  solusio = undefined;
});
afterAll(async () => handle?.close());

const SMALL = {
  id: 2,
  name: "Small",
  tokens_per_hour: "7",
  tokens_per_month: "5000",
  ip_tokens_per_hour: "0",
  ip_tokens_per_month: "0",
  backup_price: "0",
};

async function insertEvent(id: bigint, event: string, serverId: bigint, at: string, data: object) {
  await handle.db
    .insertInto("server_event")
    .values({ id, event, server_id: serverId, at: new Date(at), data: JSON.stringify(data) })
    .execute();
}

describe("a server on a plan deleted before the log was read (usage source (c))", () => {
  it("bills the priced plan and reports the hours on the unpriced one", async () => {
    await insertEvent(101n, "compute_resource_vm_created", 31n, "2026-10-01T00:00:00Z", {
      server_id: 31,
      user_id: 7,
      server_name: "doomed-1",
      plan_id: 9,
    });
    await insertEvent(102n, "compute_resource_vm_resized", 31n, "2026-10-11T00:00:00Z", {
      server_id: 31,
      plan_id: 2,
      plan: SMALL,
    });
    await insertEvent(103n, "compute_resource_vm_delete_requested", 31n, "2026-10-21T00:00:00Z", {
      server_id: 31,
    });
    const source = new SnapshotUsageSource(handle.db, "activity");
    const records = [];
    for await (const r of source.fetchUsage(OCTOBER))
      records.push([r.server.id, r.plan.id, r.hours, r.tokens]);
    expect(records).toEqual([[31, 2, 240n, 1680n]]);
    const notes = await source.notes(OCTOBER);
    const unpriced = notes.filter((n) => n.kind === "unpriced_usage");
    expect(unpriced).toHaveLength(1);
    expect(unpriced[0]).toMatchObject({ serverId: 31, details: { server_id: 31, plan_id: 9, hours: "240" } });
    expect(unpriced[0]?.message).toContain("server 31");

    // A billing run from the log records it with the server, and the rest of the month is billed.
    const summary = await runBilling({
      ctx: billingContext(handle, { USAGE_SOURCE: "activity" }),
      input: { period: "2026-10" },
      options: { source: new SnapshotUsageSource(handle.db, "activity") },
    });
    expect(summary.anomalies.by_kind).toMatchObject({ unpriced_usage: 1 });
    const anomaly = await handle.db
      .selectFrom("billing_anomaly")
      .select(["server_id", "message"])
      .where("kind", "=", "unpriced_usage")
      .executeTakeFirstOrThrow();
    expect(anomaly.server_id).toBe(31n);
  });

  it("prices a plan SolusIO no longer lists as an earlier poll recorded it", async () => {
    await insertEvent(201n, "compute_resource_vm_created", 41n, "2026-09-01T00:00:00Z", {
      server_id: 41,
      plan_id: 2,
      plan: SMALL,
    });
    solusio = await startPageServer([
      {
        data: [
          {
            id: 202,
            event: "compute_resource_vm_created",
            created_at: "2026-10-01T00:00:00Z",
            data: { server_id: 42, plan_id: 2, user_id: 7 },
          },
        ],
        meta: { last_page: 1 },
      },
      { data: [], meta: { current_page: 1, last_page: 1 } },
    ]);
    const ctx = billingContext(handle, {}, new Date("2026-11-20T00:00:00Z"));
    await pollActivity({ ctx, input: { solusio: solusio.api } });
    const row = await handle.db
      .selectFrom("server_event")
      .select("data")
      .where("id", "=", 202n)
      .executeTakeFirstOrThrow();
    const data = (typeof row.data === "string" ? JSON.parse(row.data) : row.data) as { plan?: unknown };
    expect(data.plan).toEqual(SMALL);
  });
});
