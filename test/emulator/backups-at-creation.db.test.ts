import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import {
  billingContext,
  createSection4Customer,
  OCTOBER,
} from "../../src/billing/testing/billing-fixtures.ts";
import { emulatorDriver } from "../../src/billing/testing/emulator-driver.ts";
import { emulatorIntegration } from "../../src/billing/testing/emulator-integration.ts";
import { pollActivity } from "../../src/billing/usage/poll-activity.ts";
import { SnapshotUsageSource } from "../../src/billing/usage/snapshot-usage-source.ts";
import type { DatabaseHandle } from "../../src/db/open-database.ts";
import type { UsageRecord } from "../../src/domain/usage-record.ts";
import type { SolusioIntegration } from "../../src/solusio/integration.ts";
import { createTestDatabase } from "../helpers/test-database.ts";

// A server created with `backup_settings: {enabled: true}` logs no backups switch: the activity source (c)
// billed it no backups, while SolusIO's usage (a) billed 10% of its tokens. The creation entry now says
// whether backups are on. All October on 7/5000 with backups at 10%: 5000 tokens (the cap), backups 500.

let handle: DatabaseHandle;
let em: RunningEmulator;
let integration: SolusioIntegration;

beforeAll(async () => {
  handle = await createTestDatabase();
  const customerId = await createSection4Customer(handle, "backups@example.com");
  await handle.db.updateTable("customer").set({ solusio_user_id: 5n }).where("id", "=", customerId).execute();
  em = await startEmulator({
    port: 0,
    logger: false,
    now: new Date("2026-10-01T00:00:00Z"),
    seed: {
      plans: [
        {
          id: 1,
          name: "1 Core",
          tokens_per_hour: 7,
          tokens_per_month: 5000,
          is_backup_available: true,
          backup_price: 10,
        },
      ],
      users: [{ id: 5, email: "backups@example.com", billing_user_id: Number(customerId) }],
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
  for await (const r of records) found.push([r.server.id, r.hours, r.tokens, r.backups?.tokens ?? 0n]);
  return found;
}

describe("a server created with backups on (usage source (c))", () => {
  it("is billed its backups from creation, as SolusIO's usage bills them", async () => {
    const solusio = emulatorDriver(em);
    const server = await solusio.createServer({
      name: "backed-up",
      plan: 1,
      user: 5,
      backup_settings: { enabled: true },
    });
    const after = await solusio.at("2026-11-01T01:00:00Z");
    await pollActivity({ ctx: { ...billingContext(handle, {}, after), solusio: integration }, input: {} });

    const expected = [[server, 744n, 5000n, 500n]];
    expect(await usageOf(integration.connection.api.listUsage(OCTOBER))).toEqual(expected);
    expect(await usageOf(new SnapshotUsageSource(handle.db, "activity").fetchUsage(OCTOBER))).toEqual(
      expected,
    );
  });
});
