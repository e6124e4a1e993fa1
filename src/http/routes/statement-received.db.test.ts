import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../../test/helpers/test-server.ts";
import { pdfText } from "../../billing/documents/testing/pdf-text.ts";
import { createCustomers } from "../../billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";

// A payment recorded days after it was paid (a bank transfer entered on Friday for Monday's money): the
// statement lists it on the day it was recorded, as the ledger does, and now also gives the payment's own
// date, so the customer finds it by the day they paid. Until 2026-12-05 only the recording day was shown.

let handle: DatabaseHandle;
let server: TestServer;
let customer: bigint;
const paidOn = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  handle = await createTestDatabase();
  [customer] = (await createCustomers(handle, [{ email: "late@example.com" }])) as [bigint];
  server = await startTestServer(handle.db);
  const paid = await server.api("POST", `/api/v1/customers/${customer}/payments`, {
    amount: 400,
    method: "bank_transfer",
    reference: "LATE-1",
    paid_at: `${paidOn}T09:00:00Z`,
  });
  expect(paid.status).toBe(201);
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

const get = async (path: string) => {
  const response = await fetch(server.url + path, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
  return Buffer.from(await response.arrayBuffer());
};

describe("a payment recorded after the day it was paid", () => {
  it("keeps the recording day as the entry's date and gives the payment's own date", async () => {
    const statement = await server.api("GET", `/api/v1/customers/${customer}/statement`);
    const [entry] = statement.body.data.entries;
    expect(entry).toMatchObject({ kind: "payment", reference: "bank_transfer LATE-1", amount: -400 });
    expect(entry.paid_at).toBe(`${paidOn}T09:00:00.000Z`);
    expect(entry.date.slice(0, 10)).not.toBe(paidOn);
  });

  it("says it in the CSV's `received` column and beside the reference in the PDF", async () => {
    const csv = (await get(`/api/v1/customers/${customer}/statement.csv`)).toString("utf8").split("\r\n");
    // `received` was the last column until the refund columns came after it (2026-12-06).
    expect(csv[0]!.endsWith(",received,refund_method,refunded_how")).toBe(true);
    expect(csv[1]).toMatch(
      new RegExp(`,payment,bank_transfer LATE-1,USD,-4\\.00,-400,-4\\.00,-400,${paidOn},,$`),
    );
    const text = (await pdfText(await get(`/api/v1/customers/${customer}/statement.pdf`))).replace(
      /\s+/g,
      " ",
    );
    // The reference wraps in its column: pdftotext reads the date's part after the row's figures.
    expect(text).toMatch(new RegExp(`bank_transfer LATE-1 \\(received .*${paidOn}\\)`));
  });
});
