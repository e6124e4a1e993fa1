import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import { runBilling } from "../../src/billing/runs/run-billing.ts";
import {
  billingContext,
  createSection4Customer,
  OCTOBER,
} from "../../src/billing/testing/billing-fixtures.ts";
import { emulatorDriver } from "../../src/billing/testing/emulator-driver.ts";
import { emulatorIntegration } from "../../src/billing/testing/emulator-integration.ts";
import { pollActivity } from "../../src/billing/usage/poll-activity.ts";
import { pollServers } from "../../src/billing/usage/poll-servers.ts";
import { SnapshotUsageSource } from "../../src/billing/usage/snapshot-usage-source.ts";
import type { DatabaseHandle } from "../../src/db/open-database.ts";
import type { UsageRecord } from "../../src/domain/usage-record.ts";
import type { SolusioIntegration } from "../../src/solusio/integration.ts";
import { createTestDatabase } from "../helpers/test-database.ts";

// solusio-api.md §9 (c): the activity log catches a server that lived between two polls of GET servers, which
// the snapshot source (b) never sees, and gives its exact instants. A server created at 00:30 and deleted at
// 02:10 with polls at 00:00 and 03:00 has two hours (00:30, 01:30): 14 tokens on 7/5000, billed to the customer
// linked to the SolusIO user the log names. The cross-check of (b)+(c) against (b) alone names the server (b)
// missed.

let handle: DatabaseHandle;
let em: RunningEmulator;
let customerId: bigint;
let integration: SolusioIntegration;

beforeAll(async () => {
  handle = await createTestDatabase();
  customerId = await createSection4Customer(handle, "short-lived@example.com");
  // Linked to its SolusIO user, as the user sync leaves it: the log names the SolusIO user, not the customer.
  await handle.db.updateTable("customer").set({ solusio_user_id: 5n }).where("id", "=", customerId).execute();
  em = await startEmulator({
    port: 0,
    logger: false,
    now: new Date("2026-10-01T00:00:00Z"),
    seed: {
      plans: [{ id: 1, name: "1 Core", tokens_per_hour: 7, tokens_per_month: 5000 }],
      users: [{ id: 5, email: "short-lived@example.com", billing_user_id: Number(customerId) }],
    },
  });
  integration = emulatorIntegration(handle, em);
});
afterAll(async () => {
  await integration?.connection.close();
  await em?.close();
  await handle?.close();
});

async function usageOf(records: AsyncIterable<UsageRecord>) {
  const found = [];
  for await (const r of records) found.push([r.server.id, r.hours, r.tokens, r.charge]);
  return found;
}

describe("a server that lived between two polls (usage source (c))", () => {
  it("is missed by the snapshots, billed from the activity log to the hour, and reported by the cross-check", async () => {
    const solusio = emulatorDriver(em);
    const ctxAt = (now: Date) => ({ ...billingContext(handle, {}, now), solusio: integration });
    const poll = async (iso: string) => {
      const at = await solusio.at(iso);
      await pollServers({ ctx: ctxAt(at), input: {} });
    };

    await poll("2026-10-01T00:00:00Z");
    await solusio.at("2026-10-01T00:30:00Z");
    const brief = await solusio.createServer({ name: "brief", plan: 1, user: 5 });
    await solusio.at("2026-10-01T02:10:00Z");
    await solusio.deleteServer(brief);
    await poll("2026-10-01T03:00:00Z");
    const after = await solusio.at("2026-11-01T01:00:00Z");
    await pollActivity({ ctx: ctxAt(after), input: {} });

    expect(await usageOf(new SnapshotUsageSource(handle.db, "snapshots").fetchUsage(OCTOBER))).toEqual([]);
    const exact = [[brief, 2n, 14n, "hourly"]];
    expect(await usageOf(new SnapshotUsageSource(handle.db, "activity").fetchUsage(OCTOBER))).toEqual(exact);
    expect(
      await usageOf(new SnapshotUsageSource(handle.db, "snapshots+activity").fetchUsage(OCTOBER)),
    ).toEqual(exact);
    // The usage endpoint (a) agrees.
    expect(await usageOf(integration.connection.api.listUsage(OCTOBER))).toEqual(exact);

    const ctx = {
      ...billingContext(
        handle,
        {
          SOLUSIO_URL: em.apiUrl,
          SOLUSIO_API_TOKEN: em.adminToken,
          USAGE_SOURCE: "snapshots+activity",
          USAGE_CROSS_CHECK: "snapshots",
        },
        after,
      ),
      solusio: integration,
    };
    const summary = await runBilling({ ctx, input: { period: "2026-10" } });
    expect(summary).toMatchObject({
      state: "completed",
      usage_records: 1,
      customers: 1,
      invoices: { created: 1 },
    });
    expect(summary.anomalies.by_kind).toMatchObject({ cross_check_missing: 1 });
    expect(summary.anomalies.by_kind).not.toHaveProperty("missing_billing_user");
  });
});
