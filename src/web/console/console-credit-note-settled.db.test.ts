import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import { issueInvoices } from "../../billing/payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../../billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createStaffPerRole, PageClient, textOf } from "./pricing-test-client.ts";

// The console's credit-note list filters by where a note's money went (`settled`), in the words of the portal's
// and the API's filter (settled-ways.ts): until 2026-12-07 staff could filter by customer only. A page of the
// filtered list links to the next one with the filter kept.

let handle: DatabaseHandle;
let server: TestServer;
let support: PageClient;
let customerId: bigint;
/** The notes of each way, by id. */
const byWay = { invoice: [] as string[], refund: [] as string[], credit: [] as string[] };

async function note(invoice: string, amount: number, settlement: "credit" | "refund"): Promise<string> {
  const answer = await server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
    amount,
    reason: `settled filter ${settlement}`,
    settlement,
  });
  expect(answer.status).toBe(201);
  return answer.body.data.id;
}

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  await createStaffPerRole(handle, ["support"]);
  support = await new PageClient(server.url).logIn("support@example.com");
  [customerId] = (await createCustomers(handle, [{ email: "console-settled@example.com" }])) as [bigint];
  const [unpaid, paid] = (await issueInvoices(handle.db, [
    { customerId, total: 100_000n },
    { customerId, total: 1_000n },
  ])) as [string, string];
  // One more than a page (50) of notes that only lower what an unpaid invoice owes.
  for (let i = 0; i < 51; i++) byWay.invoice.push(await note(unpaid, 1, "credit"));
  const payment = await server.api("POST", `/api/v1/invoices/${paid}/payments`, {
    amount: 1000,
    method: "bank_transfer",
    reference: "console-settled-1",
  });
  expect(payment.status).toBe(201);
  byWay.refund.push(await note(paid, 100, "refund"));
  byWay.credit.push(await note(paid, 100, "credit"));
}, 120_000);
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

/** The ids of the notes a page of the list shows. */
const idsOn = (html: string) =>
  [...html.matchAll(/href="\/console\/credit-notes\/(cn_[0-9a-f]+)"/g)].map((m) => m[1]);
/** The page's Next link, as a browser follows it. */
const nextOf = (html: string) => /<a href="([^"]*)" rel="next">/.exec(html)?.[1]?.replaceAll("&amp;", "&");

describe("the console's credit-note list filtered by where the money went", () => {
  it("lists the notes of the way chosen only, and shows it chosen", async () => {
    for (const how of ["refund", "credit"] as const) {
      const r = await support.get(`/console/credit-notes?customer_id=${customerId}&settled=${how}`);
      expect(r.status, how).toBe(200);
      expect(idsOn(r.text), how).toEqual(byWay[how]);
      expect(r.text, how).toMatch(new RegExp(`<option value="${how}" selected>`));
    }
  });

  it("keeps the filter on the next page", async () => {
    const first = await support.get(`/console/credit-notes?customer_id=${customerId}&settled=invoice`);
    expect(first.status).toBe(200);
    expect(idsOn(first.text)).toHaveLength(50);
    const next = nextOf(first.text);
    expect(next).toContain("settled=invoice");
    const second = await support.get(next!);
    expect(second.status).toBe(200);
    expect([...idsOn(first.text), ...idsOn(second.text)].sort()).toEqual([...byWay.invoice].sort());
    expect(nextOf(second.text)).toBeUndefined();
  });

  // Until 2026-12-07 the list paged by number (an OFFSET, reading every note before the page): Next had no cursor.
  it("walks by cursor: Next carries the cursor under the filter, the page is the one by number", async () => {
    const list = `/console/credit-notes?customer_id=${customerId}&settled=invoice`;
    const first = await support.get(list);
    expect(textOf(first.text)).toMatch(/Page 1 of 2 \(51 in all\)/);
    const next = nextOf(first.text)!;
    expect(next).toMatch(/[?&]cursor=/);
    const second = await support.get(next);
    expect(second.status).toBe(200);
    // A page reached by cursor does not count the list, and offers the first page instead of Previous.
    expect(textOf(second.text)).toContain("Page 2");
    expect(textOf(second.text)).not.toMatch(/Page 2 of|in all/);
    expect(second.text).toContain(`<a href="${list.replaceAll("&", "&amp;")}">First page</a>`);
    const byNumber = await support.get(`${list}&page=2`);
    expect(idsOn(second.text)).toEqual(idsOn(byNumber.text));
    expect(idsOn(second.text)).toHaveLength(1);
  });

  it("refuses a cursor made under another way, with a 400 and no rows", async () => {
    const next = nextOf(
      (await support.get(`/console/credit-notes?customer_id=${customerId}&settled=invoice`)).text,
    )!;
    const other = await support.get(next.replace("settled=invoice", "settled=credit"));
    expect(other.status).toBe(400);
    expect(textOf(other.text)).toMatch(/cursor: .*other filters/i);
    expect(idsOn(other.text)).toEqual([]);
    expect(textOf(other.text)).not.toMatch(/No credit notes/);
  });

  it("refuses a way it does not know beside the select, with a 400 and no rows", async () => {
    for (const bad of ["refunded", "Refund", "x".repeat(2_000)]) {
      const r = await support.get(`/console/credit-notes?customer_id=${customerId}&settled=${bad}`);
      expect(r.status, bad.slice(0, 10)).toBe(400);
      expect(r.text).toContain('id="settled-error"');
      expect(r.text).toMatch(/<select id="settled" name="settled" aria-invalid="true"/);
      expect(textOf(r.text)).toMatch(/must be invoice, refund or credit/i);
      expect(idsOn(r.text)).toEqual([]);
    }
  });
});
