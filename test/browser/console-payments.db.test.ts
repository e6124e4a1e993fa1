import { sql } from "kysely";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { createStaffPerRole, STAFF_PASSWORD } from "../../src/web/console/pricing-test-client.ts";
import { checkPage, logInThroughForm, noBrowser } from "../helpers/browser.ts";
import { browserPerFile } from "../helpers/browser-per-file.ts";

// The console's payment list in a real browser: a support user reaches it from the navigation, walks it by
// Next, follows a row to its customer, and a bad filter is told beside its field; a page past the end says so
// and leads to the first page with the filter; each page passes axe-core
// at 375 and 1440 px without sideways scrolling.

const file = browserPerFile();
let page: Page;

beforeAll(async () => {
  if (noBrowser) return;
  const { handle } = file;
  await createStaffPerRole(handle, ["support"]);
  await sql`
    INSERT INTO customer (email, name, country, currency_code)
    SELECT 'payer' || n || '@browser.test', 'Payer ' || n, 'GB', 'USD' FROM generate_series(1, 2) n`.execute(
    handle.db,
  );
  await sql`
    INSERT INTO payment (id, customer_id, currency_code, amount, method, reference, paid_at)
    SELECT 'pay_' || md5('browser' || n), (SELECT min(id) FROM customer WHERE email LIKE '%@browser.test') + n % 2,
           'USD', 1234 * n, 'bank_transfer', 'BR-' || n, timestamptz '2026-11-20 12:00:00+00' - n * interval '1 hour'
    FROM generate_series(1, 60) n`.execute(handle.db);
  page = await (await file.browser.newContext()).newPage();
}, 60_000);

describe.skipIf(noBrowser)("the console's payment list in a real browser", () => {
  it("is reached from the navigation, walked by Next and filtered, each page accessible", async () => {
    await logInThroughForm(page, file.server.url, "console", "support@example.com", STAFF_PASSWORD);
    await page.getByRole("link", { name: "Payments", exact: true }).click();
    await page.waitForURL(`${file.server.url}/console/payments`);
    expect(await page.locator("h1").textContent()).toBe("Payments");
    expect(await page.locator("tbody tr").count()).toBe(50);
    expect(await page.locator("main").textContent()).toContain("Page 1 of 2 (60 in all)");
    await checkPage(page, "console-payments");

    await page.getByRole("link", { name: "Next" }).click();
    await page.waitForURL(/\/console\/payments\?cursor=.+&page=2$/);
    expect(await page.locator("tbody tr").count()).toBe(10);
    expect(await page.locator("tbody tr").first().textContent()).toContain("BR-51");
    await checkPage(page, "console-payments-next");
    await page.getByRole("link", { name: "First page" }).click();
    await page.waitForURL(`${file.server.url}/console/payments`);

    await page.getByLabel("Invoice id (inv_…)").fill("not-an-invoice");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect.poll(() => page.locator("#invoice_id-error").textContent()).toMatch(/invoice id/i);
    await checkPage(page, "console-payments-error");

    await page.getByLabel("Invoice id (inv_…)").fill("");
    await page.getByRole("link", { name: "Clear" }).click();
    const row = page.locator("tbody tr").first();
    // The row names its customer; the link leads to that customer's page.
    const name = (await row.getByRole("link").first().textContent())!;
    expect(name).toMatch(/^Payer [12]$/);
    await row.getByRole("link").first().click();
    await page.waitForURL(/\/console\/customers\/\d+$/);
    expect(await page.locator("h1").textContent()).toContain(name);
  });

  it("says a stale bookmark's page is past the end, and its First page keeps the filter", async () => {
    await page.goto(`${file.server.url}/console/payments?method=bank_transfer&page=9`);
    expect(await page.locator("main").textContent()).toContain(
      "This page is past the end of the list, which has 2 pages.",
    );
    await checkPage(page, "console-payments-past-end");
    await page.getByRole("link", { name: "First page" }).click();
    await page.waitForURL(`${file.server.url}/console/payments?method=bank_transfer`);
    expect(await page.locator("tbody tr").count()).toBe(50);
  });
});
