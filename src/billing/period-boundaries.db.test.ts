import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { periodBounds } from "../domain/periods.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { getInvoice } from "./invoices/get-invoice.ts";
import { listInvoices } from "./invoices/list-invoices.ts";
import { runBilling } from "./runs/run-billing.ts";
import { billingContext, createCustomers } from "./testing/billing-fixtures.ts";
import { emulatorDriver } from "./testing/emulator-driver.ts";
import { emulatorIntegration } from "./testing/emulator-integration.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";

// Period boundaries through the emulator: a server crossing midnight at month end is
// billed in both months without an hour counted twice (billing-rules §2), and a billing time zone whose
// month holds a daylight-saving change bills the month's real length. Two tokenbill databases (one billing
// in UTC, one in Europe/Berlin) read the same emulator.

let utc: DatabaseHandle;
let berlin: DatabaseHandle;
let em: RunningEmulator;
const integrations: SolusioIntegration[] = [];
const CUSTOMERS = [{ email: "midnight@example.com" }, { email: "berlin@example.com", currency: "EUR" }];

beforeAll(async () => {
  [utc, berlin] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  const [midnightId, berlinId] = await createCustomers(utc, CUSTOMERS);
  await createCustomers(berlin, CUSTOMERS);
  em = await startEmulator({
    port: 0,
    logger: false,
    now: new Date("2026-09-30T20:00:00Z"),
    seed: {
      plans: [
        { id: 1, name: "7/5000", tokens_per_hour: 7, tokens_per_month: 5000 },
        { id: 2, name: "7/0", tokens_per_hour: 7, tokens_per_month: 0 },
      ],
      users: [
        { id: 5, email: "midnight@example.com", billing_user_id: Number(midnightId) },
        { id: 6, email: "berlin@example.com", billing_user_id: Number(berlinId) },
      ],
    },
  });
  const solusio = emulatorDriver(em);
  // The Berlin customer's server runs through all of October, on a plan without a monthly cap.
  await solusio.createServer({ name: "berlin-1", plan: 2, user: 6 });
  await solusio.at("2026-10-31T22:30:00Z");
  const night = await solusio.createServer({ name: "night-owl", plan: 1, user: 5 });
  await solusio.at("2026-11-01T01:10:00Z");
  await solusio.deleteServer(night);
  await solusio.at("2026-12-01T01:00:00Z");
});
afterAll(async () => {
  for (const integration of integrations) await integration.connection.close();
  await em?.close();
  await Promise.all([utc?.close(), berlin?.close()]);
});

function contextFor(handle: DatabaseHandle, timeZone: string): ServiceContext {
  const config = { SOLUSIO_URL: em.apiUrl, SOLUSIO_API_TOKEN: em.adminToken, BILLING_TIME_ZONE: timeZone };
  const solusio = emulatorIntegration(handle, em);
  integrations.push(solusio);
  return { ...billingContext(handle, config, new Date("2026-12-01T01:00:00Z")), solusio };
}

async function linesOf(ctx: ServiceContext, email: string, period: string) {
  const customer = await ctx.db
    .selectFrom("customer")
    .select("id")
    .where("email", "=", email)
    .executeTakeFirstOrThrow();
  const page = await listInvoices({ ctx, input: { page: 1, per_page: 5, period, customer_id: customer.id } });
  const invoice = await getInvoice({ ctx, input: { id: page.data[0]!.id } });
  return invoice.lines!.map((l) => [l.server.name, l.hours, l.tokens, l.charge_kind]);
}

describe("period boundaries", () => {
  it("created 2026-10-31T22:30Z, deleted 2026-11-01T01:10Z: October 2 h / 14 tokens, November 1 h / 7", async () => {
    const ctx = contextFor(utc, "UTC");
    const oct = await runBilling({ ctx, input: { period: "2026-10" } });
    const nov = await runBilling({ ctx, input: { period: "2026-11" } });
    expect([oct.anomalies.total, nov.anomalies.total]).toEqual([0, 0]);
    expect(await linesOf(ctx, "midnight@example.com", "2026-10")).toEqual([["night-owl", 2n, 14n, "hourly"]]);
    expect(await linesOf(ctx, "midnight@example.com", "2026-11")).toEqual([["night-owl", 1n, 7n, "hourly"]]);
    // In UTC the whole-month server has October's 744 hours.
    expect(await linesOf(ctx, "berlin@example.com", "2026-10")).toEqual([
      ["berlin-1", 744n, 5208n, "hourly"],
    ]);
  });

  it("Europe/Berlin: October 2026 has 745 hours (clocks go back on the 25th): 745 × 7 = 5215 tokens", async () => {
    const bounds = periodBounds("2026-10", "Europe/Berlin");
    expect(bounds).toEqual({
      start: new Date("2026-09-30T22:00:00Z"),
      end: new Date("2026-10-31T23:00:00Z"),
    });
    const ctx = contextFor(berlin, "Europe/Berlin");
    const summary = await runBilling({ ctx, input: { period: "2026-10" } });
    expect(summary).toMatchObject({
      period_start: "2026-09-30T22:00:00.000Z",
      period_end: "2026-10-31T23:00:00.000Z",
      time_zone: "Europe/Berlin",
      anomalies: { total: 0 },
    });
    expect(await linesOf(ctx, "berlin@example.com", "2026-10")).toEqual([
      ["berlin-1", 745n, 5215n, "hourly"],
    ]);
    // 22:30Z on the 31st is 23:30 in Berlin, still October there: its first hour is October's.
    expect(await linesOf(ctx, "midnight@example.com", "2026-10")).toEqual([["night-owl", 1n, 7n, "hourly"]]);
  });
});
