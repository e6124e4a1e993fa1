import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../../test/helpers/test-server.ts";
import { issueInvoices } from "../../billing/payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../../billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";

// Every money-changing route of the admin API refuses an amount that is not one plain spelling of a
// positive whole number of minor units, however the JSON writes it: 400 naming `amount`, never a 500, and
// nothing written (no payment, refund, credit note or ledger row). The bodies are sent as raw text, since
// JSON.stringify cannot write `-0`, `1e2` or `5.0`.

let handle: DatabaseHandle;
let server: TestServer;
let customer: bigint;
let invoice = "";
let payment = "";

beforeAll(async () => {
  handle = await createTestDatabase();
  [customer] = (await createCustomers(handle, [{ email: "spell@example.com" }])) as [bigint];
  [invoice] = (await issueInvoices(handle.db, [{ customerId: customer, total: 1020n }])) as [string];
  server = await startTestServer(handle.db);
  const paid = await server.api("POST", `/api/v1/invoices/${invoice}/payments`, {
    amount: 400,
    method: "bank_transfer",
    reference: "SPELL-1",
  });
  expect(paid.status).toBe(201);
  payment = paid.body.data.id;
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

const SPELLINGS = [
  "-0",
  "0",
  "-5",
  "5.0",
  "5e0",
  "1e2",
  "0.5",
  "9223372036854775808",
  "1000000000000000000000000",
  "true",
  "null",
  "[5]",
  '{"n":5}',
  '"-0"',
  '"0"',
  '"-5"',
  '"+5"',
  '" 5"',
  '"5 "',
  '"05"',
  '"5.0"',
  '"1e2"',
  '"0x10"',
  '"١٠"',
  '"５"',
  '"5\\u0000"',
  '""',
];

async function rows(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ["payment", "refund", "credit_note", "ledger_entry", "audit_log"] as const) {
    const row = await handle.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}

async function postRaw(path: string, body: string) {
  const response = await fetch(server.url + path, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, "content-type": "application/json" },
    body,
  });
  return {
    status: response.status,
    body: (await response.json()) as { error?: { issues?: { field: string }[] } },
  };
}

const ROUTES: [string, () => string, (amount: string) => string][] = [
  [
    "an invoice's payment",
    () => `/api/v1/invoices/${invoice}/payments`,
    (a) => `{"amount":${a},"method":"bank_transfer","reference":"SPELL-X"}`,
  ],
  [
    "a customer's payment",
    () => `/api/v1/customers/${customer}/payments`,
    (a) => `{"amount":${a},"currency":"USD","method":"bank_transfer","reference":"SPELL-Y"}`,
  ],
  ["a refund", () => `/api/v1/payments/${payment}/refunds`, (a) => `{"amount":${a},"reason":"spelling"}`],
  [
    "a credit note",
    () => `/api/v1/invoices/${invoice}/credit-notes`,
    (a) => `{"amount":${a},"reason":"spelling"}`,
  ],
];

describe("an amount spelt otherwise than as plain digits", () => {
  for (const [what, path, body] of ROUTES) {
    it(`is refused on ${what} with 400 naming amount, writing nothing`, async () => {
      const before = await rows();
      for (const spelling of SPELLINGS) {
        const answer = await postRaw(path(), body(spelling));
        expect(answer.status, spelling).toBe(400);
        expect(
          answer.body.error?.issues?.map((i) => i.field),
          spelling,
        ).toContain("amount");
      }
      expect(await rows()).toEqual(before);
      // The body is right but for the amount: plain digits are taken.
      expect((await postRaw(path(), body("1"))).status).toBeLessThan(300);
    });
  }
});
