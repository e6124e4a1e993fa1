import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";
import { billFromActivityLog } from "./testing/bill-from-activity.ts";
import { billingContext, createSection4Customer } from "./testing/billing-fixtures.ts";
import { emulatorDriver } from "./testing/emulator-driver.ts";
import { emulatorIntegration } from "./testing/emulator-integration.ts";
import { pollActivity } from "./usage/poll-activity.ts";
import { pollServers } from "./usage/poll-servers.ts";

// billing-rules §2.2 from the activity log (c) when the re-price is seen by the server poll alone: the servers
// GET servers lists carry their plan's prices, so that read records a change as the plans' read does
// (plan-price-changes.ts). Until 2026-12-06 only the read of GET plans did, and a plan re-priced in SolusIO's
// panel was billed at the old price until the next read of the plans.

let handle: DatabaseHandle;
let em: RunningEmulator;
let customerId: bigint;
let integration: SolusioIntegration;

const AFTER = new Date("2026-12-01T01:00:00Z");

beforeAll(async () => {
  handle = await createTestDatabase();
  customerId = await createSection4Customer(handle, "reprice-poll@example.com");
  em = await startEmulator({
    port: 0,
    logger: false,
    now: new Date("2026-11-01T00:00:00Z"),
    seed: {
      plans: [{ id: 2, name: "Medium", tokens_per_hour: 14, tokens_per_month: 10000 }],
      users: [{ id: 5, email: "reprice-poll@example.com", billing_user_id: Number(customerId) }],
    },
  });
  integration = emulatorIntegration(handle, em);
});
afterAll(async () => {
  await integration?.connection.close();
  await em?.close();
  await handle?.close();
});

describe("a plan re-priced in SolusIO and seen only by the server poll", () => {
  it("bills the hours before the sighting at the old price and the rest at the new one (two groups)", async () => {
    const solusio = emulatorDriver(em);
    const tokenbillNow = new Date("2027-03-01T00:00:00Z"); // far from SolusIO's clock, on purpose
    const ctx = { ...billingContext(handle, {}, tokenbillNow), solusio: integration };

    await solusio.at("2026-11-01T00:00:00Z");
    const s1 = await solusio.createServer({ name: "s1", plan: 2, user: 5 });
    await pollServers({ ctx, input: {} });
    await pollActivity({ ctx, input: {} });
    await solusio.at("2026-11-16T00:00:00Z");
    await solusio.repricePlan(2, { tokens_per_hour: 20 });
    await pollServers({ ctx, input: {} }); // the plans are not read again before the month is billed
    await solusio.at(AFTER.toISOString());
    await pollServers({ ctx, input: {} });
    await pollActivity({ ctx, input: {} });

    const { summary, invoice } = await billFromActivityLog({
      handle,
      em,
      integration,
      customerId,
      period: "2026-11",
      now: AFTER,
    });
    // The usage endpoint knows the re-price's instant: the log's figures agree with it.
    expect({ state: summary.state, anomalies: summary.anomalies }).toEqual({
      state: "completed",
      anomalies: { total: 0, by_kind: {} },
    });
    // 11-01 00:00 … 11-15 23:00 = 360 h × 14 = 5040; 11-16 00:00 … 11-30 23:00 = 360 h × 20 = 7200, each under
    // its own cap of 10000 (before: 720 h at 14, one cap, 10000 monthly_cap).
    expect(invoice.lines?.map((l) => [l.server.id, l.plan_id, l.hours, l.tokens, l.charge_kind])).toEqual([
      [s1, 2, 360n, 5040n, "hourly"],
      [s1, 2, 360n, 7200n, "hourly"],
    ]);
    // The change is recorded at SolusIO's time of the server poll that saw it.
    const changes = await handle.db
      .selectFrom("plan_price_change")
      .select(["effective_at", "tokens_per_hour", "seen"])
      .where("plan_id", "=", 2n)
      .orderBy("effective_at")
      .execute();
    expect(changes).toEqual([
      { effective_at: new Date("2026-11-01T00:00:00Z"), tokens_per_hour: 14n, seen: "read" },
      { effective_at: new Date("2026-11-16T00:00:00Z"), tokens_per_hour: 20n, seen: "read" },
    ]);
  });
});
