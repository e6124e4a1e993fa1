import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import { issueInvoices } from "../../billing/payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../../billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createStaffPerRole, PageClient, textOf } from "./pricing-test-client.ts";

// An invoice of a month before 1970: no billing run makes one (periods are read from 1970 on), but the
// database holds any YYYY-MM (migration 004's CHECK), and the test fixtures number theirs from 1900. Its
// page renders, linked to the other invoices of its month, as any invoice's does.

let handle: DatabaseHandle;
let server: TestServer;
let owner: PageClient;
let customer: bigint;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  [customer] = (await createCustomers(handle, [{ email: "old@example.com" }])) as [bigint];
  await createStaffPerRole(handle);
  owner = await new PageClient(server.url).logIn("owner@example.com");
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

describe("the console's page of an invoice from before 1970", () => {
  it("renders, with the invoice it replaced in its month", async () => {
    const [voided] = (await issueInvoices(handle.db, [
      { customerId: customer, total: 700n, period: "1950-06" },
    ])) as [string];
    const released = await server.api("POST", `/api/v1/invoices/${voided}/void`, {
      reason: "wrong address",
      reissue: true,
    });
    expect(released.status).toBe(200);
    const [current] = (await issueInvoices(handle.db, [
      { customerId: customer, total: 700n, period: "1950-06" },
    ])) as [string];

    const page = await owner.get(`/console/invoices/${current}`);
    // Before, 400: the page asked for its month's invoices through the list's filter, which reads 1970 on.
    expect(page.status).toBe(200);
    const text = textOf(page.text);
    expect(text).toContain("1950-06");
    const { number } = await handle.db
      .selectFrom("invoice")
      .select("number")
      .where("id", "=", voided)
      .executeTakeFirstOrThrow();
    expect(text).toContain(`Replaces: ${number} (void)`);
    expect((await owner.get(`/console/invoices/${voided}`)).status).toBe(200);
  });
});
