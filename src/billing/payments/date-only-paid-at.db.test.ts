import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// A date-only paid_at (and mark-paid's date) is that calendar day in BILLING_TIME_ZONE, its first instant
// there, so statements, which write dates in that zone, show the date entered. Until 2026-12-06 it was read
// as midnight UTC: in America/New_York, "2026-12-05" was on the statement as 2026-12-04.

let handle: DatabaseHandle;
let newYork: TestServer;
let berlin: TestServer;
// 2026-12-06 02:00 UTC: still the 5th in New York, already the 6th in Berlin.
const NOW = new Date("2026-12-06T02:00:00Z");

beforeAll(async () => {
  handle = await createTestDatabase();
  newYork = await startTestServer(handle.db, { BILLING_TIME_ZONE: "America/New_York" }, { now: () => NOW });
  berlin = await startTestServer(handle.db, { BILLING_TIME_ZONE: "Europe/Berlin" }, { now: () => NOW });
});
afterAll(async () => {
  await newYork?.close();
  await berlin?.close();
  await handle?.close();
});

async function statementRows(server: TestServer, customer: bigint): Promise<string[][]> {
  const csv = await fetch(`${server.url}/api/v1/customers/${customer}/statement.csv`, {
    headers: { authorization: "Bearer test-admin-key-0123456789" },
  });
  expect(csv.status).toBe(200);
  return (await csv.text())
    .split("\r\n")
    .filter((r) => r !== "")
    .map((r) => r.split(","));
}

describe("a date-only paid_at in a billing zone west of UTC", () => {
  it("is the day's first instant in the zone, and the statement shows the date entered", async () => {
    const [c] = (await createCustomers(handle, [{ email: "ny-payer@example.com" }])) as [bigint];
    const [invoice] = (await issueInvoices(handle.db, [{ customerId: c, total: 1000n }])) as [string];
    const paid = await newYork.api("POST", `/api/v1/invoices/${invoice}/payments`, {
      amount: 1,
      method: "bank_transfer",
      reference: "BT-NY-1",
      paid_at: "2026-12-05",
    });
    expect(paid.status).toBe(201);
    expect(paid.body.data.paid_at).toBe("2026-12-05T05:00:00.000Z");
    const row = (await statementRows(newYork, c)).find((r) => r.includes("bank_transfer BT-NY-1"));
    expect(row?.[0]).toBe("2026-12-05");
  });

  it("mark-paid's date too, and its retry is answered as the first call was", async () => {
    const [c] = (await createCustomers(handle, [{ email: "ny-marker@example.com" }])) as [bigint];
    const [invoice] = (await issueInvoices(handle.db, [{ customerId: c, total: 700n }])) as [string];
    const body = { amount: 700, date: "2026-12-05", reference: "MP-NY-1" };
    const marked = await newYork.api("POST", `/api/v1/invoices/${invoice}/mark-paid`, body);
    expect(marked.status).toBe(200);
    const payments = await newYork.api("GET", `/api/v1/payments?customer_id=${c}`);
    expect(payments.body.data.map((p: { paid_at: string }) => p.paid_at)).toEqual([
      "2026-12-05T05:00:00.000Z",
    ]);
    expect((await statementRows(newYork, c)).find((r) => r.includes("manual MP-NY-1"))?.[0]).toBe(
      "2026-12-05",
    );
    expect((await newYork.api("POST", `/api/v1/invoices/${invoice}/mark-paid`, body)).status).toBe(200);
  });

  it("may be tomorrow in the billing zone, not the day after", async () => {
    const [c] = (await createCustomers(handle, [{ email: "ny-window@example.com" }])) as [bigint];
    const [invoice] = (await issueInvoices(handle.db, [{ customerId: c, total: 1000n }])) as [string];
    const pay = (server: TestServer, reference: string, paid_at: string) =>
      server.api("POST", `/api/v1/invoices/${invoice}/payments`, { amount: 1, reference, paid_at });
    // Today is the 5th in New York: the 6th is tomorrow there, the 7th is not.
    expect((await pay(newYork, "NY-TOMORROW", "2026-12-06")).status).toBe(201);
    const late = await pay(newYork, "NY-AFTER", "2026-12-07");
    expect(late.status).toBe(400);
    expect(late.body.error.message).toContain("at most tomorrow in America/New_York (2026-12-06)");
    // In Berlin it is the 6th already: the 7th is tomorrow, and starts at 2026-12-06T23:00Z.
    const east = await pay(berlin, "BER-TOMORROW", "2026-12-07");
    expect([east.status, east.body.data?.paid_at]).toEqual([201, "2026-12-06T23:00:00.000Z"]);
    // Ten years back, counted from the day's first instant in the zone.
    expect((await pay(newYork, "NY-OLD", "2016-12-06")).status).toBe(201);
    expect((await pay(newYork, "NY-OLDER", "2016-12-05")).status).toBe(400);
  });
});
