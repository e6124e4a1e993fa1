import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pdfText } from "../../src/billing/documents/testing/pdf-text.ts";
import { type BilledWorld, octoberToBill } from "../../src/web/console/billing-run-test-fixture.ts";
import { STAFF_PASSWORD } from "../../src/web/console/pricing-test-client.ts";
import { checkPage, launchBrowser, logInThroughForm, noBrowser } from "../helpers/browser.ts";

// The console's money pages in a real browser (Debian's Chromium): staff logs in, runs October from the
// billing runs page, follows the run (the page reloads itself while it runs) to its summary, opens the
// invoice and its PDF — fetched from the link the page shows, in the browser's own session — and records a
// payment. axe-core and both widths on every pricing, billing run, invoice and credit note page.

let world: BilledWorld;
let browser: Browser;

beforeAll(async () => {
  if (noBrowser) return;
  world = await octoberToBill({}, ["owner"]);
  // Something on every pricing list, so the tables are scanned too.
  const { server } = world;
  await server.api("POST", "/api/v1/plan-prices", {
    plan_name: "1 Core, 1 GB RAM",
    tokens_per_hour: 7,
    tokens_per_month: 5000,
  });
  const group = await server.api("POST", "/api/v1/client-groups", { name: "Resellers" });
  await server.api("POST", "/api/v1/discounts", {
    name: "Reseller discount",
    multiplier: "0.95",
    client_group_id: group.body.data.id,
  });
  await server.api("POST", "/api/v1/tax-rules", {
    name: "UK compound",
    compound: true,
    country: "GB",
    rates: [
      { label: "City Tax", rate: "6" },
      { label: "State Tax", rate: "2" },
    ],
  });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function visit(page: Page, path: string, name: string): Promise<void> {
  const response = await page.goto(world.server.url + path);
  expect(response?.status(), path).toBe(200);
  await checkPage(page, name);
}

describe.skipIf(noBrowser)("console money pages in a real browser", () => {
  it("runs a billing period, opens the invoice PDF and records a payment", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const base = world.server.url;
    await logInThroughForm(page, base, "console", "owner@example.com", STAFF_PASSWORD);

    await page.getByRole("link", { name: "Billing runs" }).click();
    await checkPage(page, "console-billing-runs");
    await page.getByLabel("Month (YYYY-MM)").fill("2026-10");
    await page.getByRole("button", { name: "Start billing run" }).click();
    await page.waitForURL(/\/console\/billing-runs\/run_[0-9a-f]+/);
    // While the run runs the page follows it (follow-page.js); it ends up showing the summary.
    await expect
      .poll(() => page.locator("main").textContent(), { interval: 500 })
      .toContain("Invoices finalized");
    await checkPage(page, "console-billing-run");

    await page.getByRole("link", { name: "Invoices of 2026-10" }).click();
    await page.waitForURL(/\/console\/invoices\?period=2026-10/);
    await checkPage(page, "console-invoices");
    await page.getByRole("link", { name: "INV-2026-000001" }).click();
    await page.waitForURL(/\/console\/invoices\/inv_[0-9a-f]+$/);
    expect(await page.locator("h1").textContent()).toContain("Invoice INV-2026-000001");
    expect(await page.locator("main").textContent()).toContain("$5.14");
    await checkPage(page, "console-invoice");

    // The PDF the page links to, fetched with the browser's own cookies (its session).
    const href = await page.getByRole("link", { name: "PDF" }).getAttribute("href");
    const pdf = await context.request.get(new URL(href!, page.url()).toString());
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()["content-type"]).toBe("application/pdf");
    const body = await pdf.body();
    expect(body.subarray(0, 5).toString()).toBe("%PDF-");
    expect(await pdfText(body)).toContain("INV-2026-000001");

    await page.getByLabel("Amount in USD").fill("5.14");
    await page.getByLabel("Reference", { exact: true }).fill("BT-2001");
    await page.getByRole("button", { name: "Record payment" }).click();
    await page.waitForURL(/notice=payment_recorded/);
    expect(await page.locator("h1").textContent()).toContain("paid");
    expect(await page.locator("main").textContent()).toContain("The payment is recorded.");
    await context.close();
  });

  it("passes axe at both widths on every pricing, invoice action and credit note page", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await logInThroughForm(page, world.server.url, "console", "owner@example.com", STAFF_PASSWORD);
    await visit(page, "/console/pricing", "console-pricing");
    for (const area of ["currencies", "plans", "discounts", "client-groups", "tax-rules"]) {
      await visit(page, `/console/pricing/${area}`, `console-pricing-${area}`);
      await visit(page, `/console/pricing/${area}/new`, `console-pricing-${area}-new`);
    }
    await visit(page, "/console/pricing/tax-rules/1/edit", "console-pricing-tax-rule-edit");
    await visit(page, "/console/pricing/currencies/USD/delete", "console-pricing-currency-delete");

    const invoices = (await world.server.api("GET", "/api/v1/invoices?period=2026-10")).body.data;
    const paid = invoices.find((i: { number: string }) => i.number === "INV-2026-000001");
    const open = invoices.find((i: { number: string }) => i.number === "INV-2026-000002");
    const payment = (await world.server.api("GET", `/api/v1/payments?invoice_id=${paid.id}`)).body.data[0];
    await visit(page, `/console/invoices/${paid.id}/refund?payment=${payment.id}`, "console-invoice-refund");
    await visit(page, `/console/invoices/${open.id}/void`, "console-invoice-void");

    await visit(page, `/console/invoices/${open.id}/credit-note`, "console-invoice-credit-note");
    await page.getByLabel("Net amount to credit").fill("1.00");
    await page.getByLabel("Reason").fill("Goodwill");
    await page.getByRole("button", { name: "Issue credit note" }).click();
    await page.waitForURL(/\/console\/credit-notes\/cn_[0-9a-f]+\?notice=issued/);
    expect(await page.locator("main").textContent()).toContain("Goodwill");
    await checkPage(page, "console-credit-note");
    await visit(page, "/console/credit-notes", "console-credit-notes");
    // The list whose filter was refused: its error summary and the field's error (400) pass axe too.
    const refused = await page.goto(`${world.server.url}/console/credit-notes?customer_id=abc&page=0`);
    expect(refused?.status()).toBe(400);
    expect(await page.locator(".error-summary").textContent()).toContain(
      "There is a problem with these filters",
    );
    expect(await page.locator("#customer_id").getAttribute("aria-invalid")).toBe("true");
    await checkPage(page, "console-credit-notes-refused");
    await context.close();
  });

  it("refunds once when Refund is clicked again before the first answer comes, with or without script", async () => {
    // Until 2026-12-05 the second click sent the form again and the server refunded twice. The form's key
    // (src/web/form-once.ts) makes the server refund once; the page's script (submit-once.js) keeps the
    // browser from sending it twice at all. Each is checked alone: the first answer is held at the browser's
    // edge until the second click is done.
    const context = await browser.newContext();
    const page = await context.newPage();
    await logInThroughForm(page, world.server.url, "console", "owner@example.com", STAFF_PASSWORD);
    const invoices = (await world.server.api("GET", "/api/v1/invoices?period=2026-10")).body.data;
    const invoice = invoices.find((i: { number: string }) => i.number === "INV-2026-000002");
    const recorded = await world.server.api("POST", `/api/v1/invoices/${invoice.id}/payments`, {
      amount: 50,
      method: "bank_transfer",
      reference: "DOUBLE-CLICK-1",
    });
    expect(recorded.status).toBe(201);
    const payment = recorded.body.data;
    const refunded = async () =>
      (await world.server.api("GET", `/api/v1/payments/${payment.id}`)).body.data.refunded;

    /** Clicks Refund, then again once the first POST has reached the server; the POSTs the browser sent. */
    const clickTwice = async (withScript: boolean): Promise<number> => {
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let posts = 0;
      await page.route("**/refunds", async (route) => {
        if (route.request().method() !== "POST") return route.continue();
        posts += 1;
        const answer = await route.fetch({ maxRedirects: 0 });
        await released;
        // The browser gives up the first sending's navigation when a second starts.
        await route.fulfill({ response: answer }).catch(() => undefined);
      });
      await page.goto(`${world.server.url}/console/invoices/${invoice.id}/refund?payment=${payment.id}`);
      await page.getByLabel("Amount to refund").fill("0.10");
      const button = page.getByRole("button", { name: "Refund", exact: true });
      await button.scrollIntoViewIfNeeded();
      const box = await button.boundingBox();
      await button.click({ noWaitAfter: true });
      await expect.poll(() => posts).toBe(1);
      await page.mouse.click(box!.x + box!.width / 2, box!.y + box!.height / 2);
      // Without the script the second POST leaves at once. With it none leaves; had one left, it would have
      // superseded the first sending's navigation, so the page below would come from it, counted first.
      if (!withScript) await expect.poll(() => posts).toBe(2);
      release();
      // Without the script the page shown is the second sending's: "sent before" (refunded_before).
      await page.waitForURL(/\?notice=refunded(_before)?$/);
      await page.unroute("**/refunds");
      return posts;
    };

    // Without the script (as without JavaScript, or from another client): two POSTs, one refund.
    await page.route("**/submit-once.js", (route) => route.abort());
    expect(await clickTwice(false)).toBe(2);
    expect(await refunded()).toBe(10);
    await page.unroute("**/submit-once.js");
    // With it: the second click is ignored while the button is busy.
    expect(await clickTwice(true)).toBe(1);
    expect(await refunded()).toBe(20);
    await context.close();
  });

  it("follows a running run live, and passes axe while it runs", async () => {
    const db = world.handle.db;
    const now = new Date();
    await db
      .insertInto("billing_run")
      .values({
        id: "run_00000000000000bb",
        period: "2026-08",
        period_start: new Date("2026-08-01T00:00:00Z"),
        period_end: new Date("2026-09-01T00:00:00Z"),
        source: "solusio",
        actor: "cli",
        processed: 10,
        total: 40,
        started_at: now,
        heartbeat_at: now,
      })
      .execute();
    const context = await browser.newContext();
    const page = await context.newPage();
    await logInThroughForm(page, world.server.url, "console", "owner@example.com", STAFF_PASSWORD);
    await page.goto(`${world.server.url}/console/billing-runs/run_00000000000000bb`);
    expect(await page.locator("main").textContent()).toContain("10 of 40 (25 %)");
    await checkPage(page, "console-billing-run-running");
    // The run moves on: the page shows it without a reload (the URL's document stays the same).
    await db
      .updateTable("billing_run")
      .set({ processed: 30 })
      .where("id", "=", "run_00000000000000bb")
      .execute();
    await expect
      .poll(() => page.locator("main").textContent(), { interval: 250 })
      .toContain("30 of 40 (75 %)");
    await page.getByRole("button", { name: "Pause updates" }).click();
    expect(await page.getByRole("button", { name: "Resume updates" }).count()).toBe(1);
    await context.close();
  });
});
