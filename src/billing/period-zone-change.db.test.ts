import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import type { ServiceContext } from "../kernel/context.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";
import { getInvoice } from "./invoices/get-invoice.ts";
import { listInvoices } from "./invoices/list-invoices.ts";
import { getBillingRun } from "./runs/get-billing-run.ts";
import { runBilling } from "./runs/run-billing.ts";
import { billingContext, createCustomers } from "./testing/billing-fixtures.ts";
import { emulatorDriver } from "./testing/emulator-driver.ts";
import { emulatorIntegration } from "./testing/emulator-integration.ts";

// BILLING_TIME_ZONE changed between runs (docs/billing-cycle.md, "Changing the billing time zone"): a server
// on a 7-tokens/h plan lives 2026-10-31T22:00Z – 2026-11-01T02:00Z, 4 hours. Billed October in one zone and
// November in the other, it is billed 4 hours, never the hour between the zones' midnights twice or not at all;
// a re-run of a period in the other zone keeps its first run's bounds and invoices. One database per order.

let utcFirst: DatabaseHandle;
let berlinFirst: DatabaseHandle;
let em: RunningEmulator;
const integrations: SolusioIntegration[] = [];
const EMAIL = "switch@example.com";

beforeAll(async () => {
  [utcFirst, berlinFirst] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  const [customerId] = await createCustomers(utcFirst, [{ email: EMAIL }]);
  await createCustomers(berlinFirst, [{ email: EMAIL }]);
  em = await startEmulator({
    port: 0,
    logger: false,
    now: new Date("2026-10-31T22:00:00Z"),
    seed: {
      plans: [{ id: 2, name: "7/0", tokens_per_hour: 7, tokens_per_month: 0 }],
      users: [{ id: 5, email: EMAIL, billing_user_id: Number(customerId) }],
    },
  });
  const solusio = emulatorDriver(em);
  const server = await solusio.createServer({ name: "switcher", plan: 2, user: 5 });
  await solusio.at("2026-11-01T02:00:00Z");
  await solusio.deleteServer(server);
  await solusio.at("2026-12-01T01:00:00Z");
});
afterAll(async () => {
  for (const integration of integrations) await integration.connection.close();
  await em?.close();
  await Promise.all([utcFirst?.close(), berlinFirst?.close()]);
});

function contextFor(handle: DatabaseHandle, timeZone: string): ServiceContext {
  const config = { SOLUSIO_URL: em.apiUrl, SOLUSIO_API_TOKEN: em.adminToken, BILLING_TIME_ZONE: timeZone };
  const solusio = emulatorIntegration(handle, em);
  integrations.push(solusio);
  return { ...billingContext(handle, config, new Date("2026-12-01T01:00:00Z")), solusio };
}

async function hoursOf(ctx: ServiceContext, period: string): Promise<bigint[]> {
  const page = await listInvoices({ ctx, input: { page: 1, per_page: 5, period } });
  const invoice = await getInvoice({ ctx, input: { id: page.data[0]!.id } });
  return invoice.lines!.map((l) => l.hours);
}

describe("a change of BILLING_TIME_ZONE between runs", () => {
  it("UTC, then Europe/Berlin: November starts where October ended (00:00Z), 2 h + 2 h, nothing twice", async () => {
    const utc = contextFor(utcFirst, "UTC");
    const oct = await runBilling({ ctx: utc, input: { period: "2026-10" } });
    expect(oct).toMatchObject({ period_end: "2026-11-01T00:00:00.000Z", time_zone: "UTC" });

    const berlin = contextFor(utcFirst, "Europe/Berlin");
    const nov = await runBilling({ ctx: berlin, input: { period: "2026-11" } });
    expect(nov).toMatchObject({
      period_start: "2026-11-01T00:00:00.000Z", // Berlin's own November starts at 2026-10-31T23:00Z
      period_end: "2026-11-30T23:00:00.000Z",
      time_zone: "Europe/Berlin",
      anomalies: { total: 0 },
    });
    expect([...(await hoursOf(berlin, "2026-10")), ...(await hoursOf(berlin, "2026-11"))]).toEqual([2n, 2n]);
    expect(oct.bounds_warning).toBeNull();
    expect(nov.bounds_warning).toMatch(/starts at 2026-11-01T00:00:00\.000Z, where the month before ended/);
    // The run's own answer says it too, before and after it completed.
    const run = await getBillingRun({ ctx: berlin, input: { id: nov.run_id } });
    expect(run).toMatchObject({ time_zone: "Europe/Berlin", bounds_warning: nov.bounds_warning });
  });

  it("a re-run of October in Berlin keeps October's UTC bounds: the same invoice, no invoice_differs", async () => {
    const berlin = contextFor(utcFirst, "Europe/Berlin");
    const again = await runBilling({ ctx: berlin, input: { period: "2026-10" } });
    expect(again).toMatchObject({
      period_start: "2026-10-01T00:00:00.000Z",
      period_end: "2026-11-01T00:00:00.000Z",
      time_zone: "Europe/Berlin",
      invoices: { created: 0, already_present: 1 },
      anomalies: { total: 0 },
    });
    expect(again.bounds_warning).toMatch(/keeps the bounds its first run recorded in UTC/);
  });

  it("Europe/Berlin, then UTC: November starts at 2026-10-31T23:00Z, 1 h + 3 h, no hour left out", async () => {
    const berlin = contextFor(berlinFirst, "Europe/Berlin");
    const oct = await runBilling({ ctx: berlin, input: { period: "2026-10" } });
    expect(oct).toMatchObject({ period_end: "2026-10-31T23:00:00.000Z" });

    const utc = contextFor(berlinFirst, "UTC");
    const nov = await runBilling({ ctx: utc, input: { period: "2026-11" } });
    expect(nov).toMatchObject({
      period_start: "2026-10-31T23:00:00.000Z",
      period_end: "2026-12-01T00:00:00.000Z",
      time_zone: "UTC",
      anomalies: { total: 0 },
    });
    expect([...(await hoursOf(utc, "2026-10")), ...(await hoursOf(utc, "2026-11"))]).toEqual([1n, 3n]);
    expect([oct.bounds_warning, typeof nov.bounds_warning]).toEqual([null, "string"]);
  });
});
