import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createStaffPerRole, PageClient, textOf } from "./pricing-test-client.ts";

// The console's payment list: every payment newest first, filtered by customer or invoice as the payments
// API is, walked by cursor (Next), each row linking to its customer and invoice; every staff role may read
// it, and a bad filter or cursor is a 400 page saying so, never a 500.

let handle: DatabaseHandle;
let server: TestServer;
let support: PageClient;
let firstCustomer: number;
let invoiceId: string;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  await createStaffPerRole(handle, ["support"]);
  support = await new PageClient(server.url).logIn("support@example.com");
  const run = (query: string) => sql.raw(query).execute(handle.db);
  await run(`
    INSERT INTO customer (email, name, country, currency_code)
    SELECT 'payer' || n || '@list.test', 'Payer ' || n, 'GB', 'USD' FROM generate_series(1, 3) n`);
  firstCustomer = Number(
    (
      await sql<{
        id: string;
      }>`SELECT min(id)::text AS id FROM customer WHERE email LIKE '%@list.test'`.execute(handle.db)
    ).rows[0]!.id,
  );
  await run(`
    INSERT INTO billing_run (id, period, period_start, period_end, source, state, actor, started_at, heartbeat_at)
    VALUES ('run_a1', '2026-10', now(), now() + interval '1 day', 'solusio', 'completed', 'test', now(), now())`);
  invoiceId = "inv_0a1b";
  await run(`
    INSERT INTO invoice (id, customer_id, period, period_start, period_end, status, number, number_sequence,
      number_value, customer_name, customer_email, customer_country, currency_code, currency,
      base_token_unit_cost, tax_compound, tax_exempt, tokens, subtotal, discount_total, net, tax_total, total,
      fingerprint, billing_run_id, issue_date, due_date)
    VALUES ('${invoiceId}', ${firstCustomer}, '2026-10', now(), now() + interval '1 day', 'finalized', 'PL-1', 'PL', 1,
      'Payer 1', 'payer1@list.test', 'GB', 'USD',
      '{"code":"USD","exponent":2,"displayPrefix":"$","displaySuffix":"","thousandsSeparator":",","decimalsSeparator":"."}', 0.001, false, false, 1000, 100000, 0, 100000, 0, 100000,
      'f', 'run_a1', '2026-11-01', '2026-11-15')`);
  // 120 payments an hour apart, newest PL-P-1; every tenth on the invoice, the rest a customer's.
  await run(`
    INSERT INTO payment (id, customer_id, currency_code, amount, method, reference, invoice_id, paid_at)
    SELECT 'pay_' || md5('list' || n), ${firstCustomer} + n % 3, 'USD', 100 * n, 'bank_transfer', 'PL-P-' || n,
           CASE WHEN n % 10 = 0 THEN '${invoiceId}' END,
           timestamptz '2026-11-20 12:00:00+00' - n * interval '1 hour'
    FROM generate_series(1, 120) n`);
  // Those on the invoice are paid by the invoice's customer.
  await run(`UPDATE payment SET customer_id = ${firstCustomer} WHERE invoice_id = '${invoiceId}'`);
  // Two by hand, one in euros (a currency the book does not hold: shown in minor units).
  await run(`UPDATE payment SET method = 'manual' WHERE reference IN ('PL-P-5', 'PL-P-77')`);
  await run(`UPDATE payment SET currency_code = 'EUR' WHERE reference = 'PL-P-9'`);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

function link(html: string, label: string): string | undefined {
  const found = new RegExp(`<a href="([^"]+)"(?: rel="[a-z]+")?>${label}</a>`).exec(html)?.[1];
  return found?.replace(/&amp;/g, "&");
}

async function page(path: string) {
  const r = await support.get(path);
  expect(r.status, `${path}: ${textOf(r.text).slice(-300)}`).toBe(200);
  return r.text;
}

const references = (html: string) => (textOf(html).match(/PL-P-\d+\b/g) ?? []).map((r) => Number(r.slice(5)));

describe("the console's payment list", () => {
  it("is in the navigation and shows every payment newest first, linking to its customer and invoice", async () => {
    const html = await page("/console/payments");
    expect(html).toContain('<a href="/console/payments" aria-current="page">Payments</a>');
    expect(references(html)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(textOf(html)).toContain("Page 1 of 3 (120 in all)");
    // Each row names its customer and its invoice's number (payment-labels.ts), linking to them.
    expect(html).toContain(
      `<a href="/console/customers/${firstCustomer + 1}"><bdi>Payer 2</bdi></a> <span class="muted">(${firstCustomer + 1})</span>`,
    );
    expect(html).toContain(`<a href="/console/invoices/${invoiceId}">PL-1</a>`);
    expect(textOf(html)).toContain("$1.00"); // PL-P-1: 100 minor units
    expect(textOf(html)).toContain("bank transfer");
    // The other pages link to it too.
    expect(await page("/console/invoices")).toContain('<a href="/console/payments">Payments</a>');
  });

  it("walks by Next (cursor): the rows of the pages by number, labelled without a count", async () => {
    const first = await page("/console/payments");
    const next = link(first, "Next")!;
    expect(next).toMatch(/^\/console\/payments\?cursor=[^&]+&page=2$/);
    const second = await page(next);
    expect(references(second)).toEqual(Array.from({ length: 50 }, (_, i) => i + 51));
    expect(textOf(second)).toContain("Page 2");
    expect(textOf(second)).not.toMatch(/Page 2 of|in all/);
    expect(link(second, "First page")).toBe("/console/payments");
    const third = await page(link(second, "Next")!);
    expect(references(third)).toEqual(Array.from({ length: 20 }, (_, i) => i + 101));
    expect(link(third, "Next")).toBeUndefined();
  });

  it("filters by customer and by invoice", async () => {
    const mine = await page(`/console/payments?customer_id=${firstCustomer}`);
    // n % 3 = 0 and every tenth (moved to the invoice's customer): 40 + 8.
    expect(references(mine)).toHaveLength(48);
    expect(references(mine).every((n) => n % 3 === 0 || n % 10 === 0)).toBe(true);
    const onInvoice = await page(`/console/payments?invoice_id=${invoiceId}`);
    expect(references(onInvoice)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
    const other = await page(`/console/payments?customer_id=${firstCustomer + 1}`);
    expect(link(other, "Next")).toBeUndefined();
    const small = await page(`/console/payments?customer_id=${firstCustomer + 2}`);
    expect(references(small).every((n) => n % 3 === 2 && n % 10 !== 0)).toBe(true);
    expect(await page("/console/payments?customer_id=999999")).toContain("No payments match.");
  });

  it("filters by method, currency and the days received, as a form that keeps them and walks by Next", async () => {
    expect(references(await page("/console/payments?method=manual"))).toEqual([5, 77]);
    const euros = await page("/console/payments?currency=EUR");
    expect(references(euros)).toEqual([9]);
    // EUR is not one of the book's currencies: still offered, chosen, so the form says what is filtered.
    expect(euros).toContain('<option value="EUR" selected>EUR</option>');
    // Days of the billing time zone (UTC here), both included: 2026-11-20 00:00 is PL-P-12.
    const day = await page("/console/payments?received_from=2026-11-20&received_to=2026-11-20");
    expect(references(day)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(day).toContain('name="received_from" type="date" value="2026-11-20"');
    expect(day).toContain('name="received_to" type="date" value="2026-11-20"');
    const early = await page("/console/payments?received_to=2026-11-15");
    expect(references(early)).toEqual(Array.from({ length: 12 }, (_, i) => i + 109));
    const form = await page("/console/payments?method=bank_transfer&currency=USD");
    expect(form).toContain('<datalist id="payment-methods">');
    expect(form).toContain('name="method" type="text"');
    expect(form).toMatch(/value="bank_transfer"/);
    expect(form).toContain('<option value="USD" selected>USD</option>');
    // Next keeps the filters: 117 bank transfers in USD, the third page holds the last 17.
    const second = await page(link(form, "Next")!);
    expect(link(second, "Next")).toMatch(/method=bank_transfer&currency=USD&cursor=/);
    const third = await page(link(second, "Next")!);
    expect(references(third)).toHaveLength(17);
    expect(references(third).every((n) => ![5, 77, 9].includes(n))).toBe(true);
  });

  it("answers a bad filter or cursor with a 400 page naming it, never a 500", async () => {
    for (const [query, field, message] of [
      ["customer_id=abc", "customer_id", /whole number|customer id|must be/i],
      ["customer_id=-1", "customer_id", /must be/i],
      [`customer_id=${"9".repeat(40)}`, "customer_id", /must be/i],
      ["invoice_id=pay_12", "invoice_id", /must be an invoice id/i],
      [`invoice_id=inv_${"a".repeat(300)}`, "invoice_id", /must be an invoice id/i],
      ["method=Bank%20transfer", "method", /method name such as manual, bank_transfer, stripe/i],
      ["currency=EURO", "currency", /ISO 4217/],
      ["received_from=20.11.2026", "received_from", /YYYY-MM-DD/],
      ["received_from=2026-11-20&received_to=2026-11-19", "received_to", /on or after received_from/i],
      // Past the address cap: said beside the field with its bound, not as a damaged address.
      [`customer_id=${"1".repeat(2_000)}`, "customer_id", /customer id: .*at most 19 digits/i],
      [`method=${"a".repeat(1_500)}`, "method", /at most 39/],
    ] as const) {
      const r = await support.get(`/console/payments?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.text, query).toContain(`id="${field}-error"`);
      expect(textOf(r.text), query).toMatch(message);
      expect(r.text).toContain('aria-invalid="true"');
    }
    const bad = await support.get("/console/payments?cursor=abc");
    expect(bad.status).toBe(400);
    expect(textOf(bad.text)).toMatch(/cursor: must be a cursor/i);
    const next = link(await page("/console/payments"), "Next")!;
    const otherFilters = await support.get(`${next}&customer_id=${firstCustomer}`);
    expect(otherFilters.status).toBe(400);
    expect(textOf(otherFilters.text)).toMatch(/other filters/);
    const control = await support.get("/console/payments?invoice_id=inv_%01ab");
    expect(control.status).toBe(400);
    // The over-long value is not written back into the page; one holding a control character is the address
    // page as before, naming nothing.
    const long = await support.get(`/console/payments?customer_id=${"1".repeat(2_000)}`);
    expect(long.text).not.toContain("1".repeat(1_001));
    expect(textOf(long.text)).not.toMatch(/address holds something/);
    const longControl = await support.get(`/console/payments?customer_id=${"1".repeat(2_000)}%01`);
    expect(longControl.status).toBe(400);
    expect(textOf(longControl.text)).toMatch(/address holds something/);
    expect(longControl.text).not.toContain('id="customer_id-error"');
  });

  it("needs a staff session", async () => {
    const r = await fetch(`${server.url}/console/payments`, { redirect: "manual" });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toMatch(/^\/console\/login/);
  });
});
