import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import type { UsagePeriod, UsageRecord } from "../domain/usage-record.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";
import { billFromActivityLog } from "./testing/bill-from-activity.ts";
import { billingContext, createSection4Customer } from "./testing/billing-fixtures.ts";
import { emulatorDriver } from "./testing/emulator-driver.ts";
import { emulatorIntegration } from "./testing/emulator-integration.ts";
import { pollActivity } from "./usage/poll-activity.ts";
import { pollServers } from "./usage/poll-servers.ts";
import { SnapshotUsageSource } from "./usage/snapshot-usage-source.ts";

// billing-rules §2.2, "a plan re-priced in mid-month makes two groups", from every usage source: QA's November
// 2026 case in the SolusIO emulator. Plan 2 (Medium, 14/h, cap 10000) goes to 20/h at 11-16 00:00 by a PUT
// made in SolusIO, not by tokenbill; tokenbill polls (GET servers, the activity log and the plans) right after
// each change, as its schedule would, so every source knows the change's instant.

let handle: DatabaseHandle;
let em: RunningEmulator;
let customerId: bigint;
let integration: SolusioIntegration;

const NOVEMBER: UsagePeriod = {
  start: new Date("2026-11-01T00:00:00Z"),
  end: new Date("2026-12-01T00:00:00Z"),
};
const AFTER = new Date("2026-12-01T01:00:00Z");

beforeAll(async () => {
  handle = await createTestDatabase();
  customerId = await createSection4Customer(handle, "reprice@example.com");
  em = await startEmulator({
    port: 0,
    logger: false,
    now: new Date("2026-11-01T00:00:00Z"),
    seed: {
      plans: [
        {
          id: 1,
          name: "Small",
          tokens_per_hour: 8,
          tokens_per_month: 5000,
          is_backup_available: true,
          backup_price: 10,
        },
        {
          id: 2,
          name: "Medium",
          tokens_per_hour: 14,
          tokens_per_month: 10000,
          is_backup_available: true,
          backup_price: 10,
        },
      ],
      users: [{ id: 5, email: "reprice@example.com", billing_user_id: Number(customerId) }],
    },
  });
  integration = emulatorIntegration(handle, em);
});
afterAll(async () => {
  await integration?.connection.close();
  await em?.close();
  await handle?.close();
});

function essentials(r: UsageRecord) {
  return {
    server: r.server.id,
    plan: r.plan.id,
    tph: r.plan.tokensPerHour,
    hours: r.hours,
    tokens: r.tokens,
    charge: r.charge,
    backups: r.backups ? [r.backups.hours, r.backups.tokens] : null,
  };
}

async function usageFrom(records: AsyncIterable<UsageRecord>) {
  const found = [];
  for await (const r of records) found.push(essentials(r));
  return found;
}

describe("a plan re-priced in mid-month, billed from every usage source (billing-rules §2.2)", () => {
  it("bills the hours before the change at the old price and the rest at the new one, as two lines", async () => {
    const solusio = emulatorDriver(em);
    const tokenbillNow = new Date("2027-03-01T00:00:00Z"); // far from SolusIO's clock, on purpose
    const ctx = { ...billingContext(handle, {}, tokenbillNow), solusio: integration };
    const pollAt = async (iso: string) => {
      await solusio.at(iso);
      await pollServers({ ctx, input: {} });
      await pollActivity({ ctx, input: {} });
    };

    await solusio.at("2026-11-01T00:00:00Z");
    const s1 = await solusio.createServer({ name: "s1", plan: 2, user: 5 });
    await pollAt("2026-11-01T00:00:00Z");
    await solusio.at("2026-11-10T05:20:00Z");
    const s5 = await solusio.createServer({
      name: "s5",
      plan: 1,
      user: 5,
      backup_settings: { enabled: true },
    });
    await pollAt("2026-11-10T05:20:00Z");
    await solusio.at("2026-11-12T00:00:00Z");
    await solusio.resize(s5, 2);
    await pollAt("2026-11-12T00:00:00Z");
    await solusio.at("2026-11-15T00:00:00Z");
    await solusio.switchBackups(s5, false);
    await pollAt("2026-11-15T00:00:00Z");
    await solusio.at("2026-11-16T00:00:00Z");
    await solusio.repricePlan(2, { tokens_per_hour: 20 });
    await pollAt("2026-11-16T00:00:00Z");
    await pollAt("2026-11-19T23:59:00Z"); // the last sighting of s5, just before it goes
    await solusio.at("2026-11-20T00:00:00Z");
    await solusio.deleteServer(s5);
    await pollAt("2026-11-20T00:00:00Z");
    await pollAt(AFTER.toISOString());

    const expected = [
      // s1: hours begin on the hour. 11-01 00:00 … 11-15 23:00 = 15 × 24 = 360 h × 14 = 5040; the change at
      // 11-16 00:00 is exactly when an hour begins, so that hour is at 20: 11-16 00:00 … 11-30 23:00 = 360 h ×
      // 20 = 7200. 12240 in all, each group under the 10000 cap (before: one cap of 10000 on 720 h × 20).
      { server: s1, plan: 2, tph: 14n, hours: 360n, tokens: 5040n, charge: "hourly", backups: null },
      { server: s1, plan: 2, tph: 20n, hours: 360n, tokens: 7200n, charge: "hourly", backups: null },
      // s5 on Small, hours at :20: 11-10 05:20 … 11-11 23:20 = 19 + 24 = 43 h × 8 = 344; backups on for all
      // 43: round(344 × 10 % = 34.4) = 34.
      { server: s5, plan: 1, tph: 8n, hours: 43n, tokens: 344n, charge: "hourly", backups: [43n, 34n] },
      // Medium at 14: 11-12 00:20 … 11-15 23:20 = 96 h × 14 = 1344; backups until 11-15 00:00 = 72 h,
      // round(1344 × 10 % × 72/96 = 100.8) = 101.
      { server: s5, plan: 2, tph: 14n, hours: 96n, tokens: 1344n, charge: "hourly", backups: [72n, 101n] },
      // Medium at 20: 11-16 00:20 … 11-19 23:20 = 96 h × 20 = 1920 (before: all 192 h at 20 = 3840).
      { server: s5, plan: 2, tph: 20n, hours: 96n, tokens: 1920n, charge: "hourly", backups: null },
    ];
    expect(await usageFrom(integration.connection.api.listUsage(NOVEMBER))).toEqual(expected);
    for (const name of ["snapshots", "activity", "snapshots+activity"] as const) {
      expect({
        name,
        usage: await usageFrom(new SnapshotUsageSource(handle.db, name).fetchUsage(NOVEMBER)),
      }).toEqual({
        name,
        usage: expected,
      });
    }

    // Billed from the activity log, checked against the usage endpoint: the two agree line by line.
    {
      const { summary, invoice } = await billFromActivityLog({
        handle,
        em,
        integration,
        customerId,
        period: "2026-11",
        now: AFTER,
      });
      expect({ state: summary.state, anomalies: summary.anomalies }).toEqual({
        state: "completed",
        anomalies: { total: 0, by_kind: {} },
      });
      expect(invoice.lines?.map((l) => [l.server.id, l.kind, l.plan_id, l.hours, l.tokens])).toEqual([
        [s1, "server", 2, 360n, 5040n],
        [s1, "server", 2, 360n, 7200n],
        [s5, "server", 1, 43n, 344n],
        [s5, "backups", 1, 43n, 34n],
        [s5, "server", 2, 96n, 1344n],
        [s5, "backups", 2, 72n, 101n],
        [s5, "server", 2, 96n, 1920n],
      ]);
      // 5040 + 7200 + 344 + 34 + 1344 + 101 + 1920.
      expect(invoice.tokens).toBe(15983n);
    }
  });
});
