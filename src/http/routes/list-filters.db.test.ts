import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";

// Every admin API list refuses a bad id or reference filter as the payments list does: a 400 naming the
// parameter, saying what it must be and its bound (a customer id: a whole number from 1 to 2^63 − 1, at most
// 19 digits), however long the value sent.

let handle: DatabaseHandle;
let server: TestServer;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

const ID_BOUND = "a whole number from 1 to 9223372036854775807 (at most 19 digits)";
const customerId = `must be a customer id: ${ID_BOUND}`;
const clientGroupId = `must be a client group id: ${ID_BOUND}`;
const invoiceId = "must be an invoice id (inv_ and 1 to 64 of 0-9, a-f)";
const long = (c: string) => c.repeat(2_000);

// [list, parameter, value, message]
const CASES: readonly (readonly [string, string, string, string | RegExp])[] = [
  ["/api/v1/payments", "customer_id", "abc", customerId],
  ["/api/v1/payments", "customer_id", long("1"), customerId],
  ["/api/v1/payments", "invoice_id", "pay_12", invoiceId],
  ["/api/v1/invoices", "customer_id", "abc", customerId],
  ["/api/v1/invoices", "customer_id", "0", customerId],
  ["/api/v1/invoices", "customer_id", long("9"), customerId],
  ["/api/v1/invoices", "number", long("N"), "must be at most 100 characters"],
  ["/api/v1/credit-notes", "customer_id", "-1", customerId],
  ["/api/v1/credit-notes", "customer_id", long("1"), customerId],
  ["/api/v1/credit-notes", "invoice_id", "inv_XYZ", invoiceId],
  ["/api/v1/credit-notes", "invoice_id", `inv_${long("a")}`, invoiceId],
  ["/api/v1/customers", "client_group_id", "1.5", clientGroupId],
  ["/api/v1/customers", "client_group_id", long("1"), clientGroupId],
  ["/api/v1/discounts", "customer_id", "x", customerId],
  ["/api/v1/discounts", "client_group_id", "x", clientGroupId],
  ["/api/v1/audit-log", "entity", long("e"), "must be at most 50 characters"],
  ["/api/v1/audit-log", "entity_id", long("1"), "must be at most 100 characters"],
  ["/api/v1/audit-log", "actor", long("a"), "must be at most 100 characters"],
  ["/api/v1/billing-runs", "period", long("2"), /YYYY-MM/],
  ["/api/v1/billing-runs/run_ab/anomalies", "kind", long("k"), "must be at most 100 characters"],
  ["/api/v1/solusio/calls", "status", long("2"), "must be an HTTP status from 100 to 599"],
];

describe("every list's id and reference filters", () => {
  for (const [list, name, value, message] of CASES) {
    const shown = value.length > 20 ? `${value.slice(0, 8)}… (${value.length} characters)` : value;
    it(`${list}?${name}=${shown} is a 400 naming it and its bound`, async () => {
      const r = await server.api("GET", `${list}?${name}=${encodeURIComponent(value)}`);
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(400);
      expect(r.body.error.issues).toEqual([
        {
          field: `query.${name}`,
          message: typeof message === "string" ? message : expect.stringMatching(message),
        },
      ]);
    });
  }
});
