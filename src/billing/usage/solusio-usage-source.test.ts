import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../../emulator/start.ts";
import { SolusioApi } from "../../solusio/solusio-api.ts";
import { SolusioClient } from "../../solusio/solusio-client.ts";
import { emulatorDriver } from "../testing/emulator-driver.ts";
import { OCTOBER } from "../testing/billing-fixtures.ts";
import { SolusioUsageSource } from "./solusio-usage-source.ts";
import type { UsageRecord } from "../../domain/usage-record.ts";

// Usage source (a): the emulator's usage endpoint over HTTP through the SolusIO client, every page followed.
// Answers that do not fit the [OURS] shape are in src/solusio/list-usage.test.ts.

async function all(source: SolusioUsageSource): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  for await (const r of source.fetchUsage(OCTOBER)) out.push(r);
  return out;
}

describe("SolusioUsageSource", () => {
  let em: RunningEmulator;
  let client: SolusioClient;
  beforeAll(async () => {
    em = await startEmulator({
      port: 0,
      logger: false,
      now: new Date("2026-10-01T00:00:00Z"),
      usagePath: "billing/usage",
      seed: {
        plans: [{ id: 1, name: "7/5000", tokens_per_hour: 7, tokens_per_month: 5000 }],
        users: [{ id: 5, email: "a@example.com", billing_user_id: 42 }],
      },
    });
    client = new SolusioClient({ baseUrl: em.apiUrl, token: em.adminToken });
  });
  afterAll(async () => {
    await client?.close();
    await em?.close();
  });

  it("follows every page of the emulator's usage endpoint at its path (40 servers, 15 per page)", async () => {
    const solusio = emulatorDriver(em);
    for (let i = 0; i < 40; i++) await solusio.createServer({ name: `s${i}`, plan: 1, user: 5 });
    await solusio.at("2026-11-02T00:00:00Z");
    const records = await all(new SolusioUsageSource(new SolusioApi(client), "billing/usage"));
    expect(records).toHaveLength(40);
    expect(new Set(records.map((r) => r.server.id)).size).toBe(40);
    expect(records[0]).toMatchObject({
      billingUserId: 42n,
      hours: 744n,
      tokens: 5000n,
      charge: "monthly_cap",
      reportedBySolusio: true,
    });
  });
});
