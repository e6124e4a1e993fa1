import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { createDunCustomer, issueInvoice } from "../../billing/dunning/dunning-fixtures.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { overdueTotals } from "./overdue-totals.ts";

// The dashboard's overdue totals count an invoice as overdue from the day after its due date in the billing
// time zone, the day dunning counts from (billing-rules §8), not the day in UTC.

let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await createTestDatabase();
  const customerId = await createDunCustomer(handle.db, { email: "late@example.com" });
  await issueInvoice(handle.db, { customerId, total: 500n, dueDate: "2026-02-10" });
});
afterAll(async () => {
  await handle?.close();
});

function contextAt(now: string, timeZone: string): ServiceContext {
  return {
    db: handle.db,
    config: parseConfig({ LOG_LEVEL: "silent", BILLING_TIME_ZONE: timeZone }),
    logger: pino({ level: "silent" }),
    actor: actors.cli(),
    now: () => new Date(now),
  };
}

describe("overdue totals", () => {
  it("counts an invoice overdue once its due date has passed in the billing time zone", async () => {
    // 23:30 UTC on the due date is already the next day in Berlin, and still the due date in UTC.
    const lateEvening = "2026-02-10T23:30:00Z";
    expect(await overdueTotals({ ctx: contextAt(lateEvening, "Europe/Berlin"), input: {} })).toEqual([
      { currency: "USD", amount: 500n, invoices: 1 },
    ]);
    expect(await overdueTotals({ ctx: contextAt(lateEvening, "UTC"), input: {} })).toEqual([]);
    // 02:00 UTC the next day is still the due date in New York: not overdue there yet.
    const nextNight = "2026-02-11T02:00:00Z";
    expect(await overdueTotals({ ctx: contextAt(nextNight, "America/New_York"), input: {} })).toEqual([]);
    expect(await overdueTotals({ ctx: contextAt(nextNight, "UTC"), input: {} })).toHaveLength(1);
  });
});
