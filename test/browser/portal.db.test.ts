import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateCustomerDunning } from "../../src/billing/dunning/evaluate-dunning.ts";
import {
  type FakeStripeAccount,
  startFakeStripeAccount,
} from "../../src/billing/providers/testing/stripe-world.ts";
import { addDays, calendarDate } from "../../src/billing/runs/calendar-date.ts";
import { periodBounds, previousPeriod } from "../../src/domain/periods.ts";
import {
  operatorContext,
  PORTAL_PASSWORD,
  type PortalCustomer,
  portalCustomer,
} from "../../src/web/portal/testing/portal-fixtures.ts";
import { checkPage, launchBrowser, logInThroughForm, noBrowser } from "../helpers/browser.ts";
import { type SolusioHarness, startSolusioHarness, waitForJobs } from "../helpers/solusio-harness.ts";
import { testClock } from "../helpers/test-clock.ts";

// The portal's journeys in a real browser (issue 12 item 5), against the SolusIO emulator and the Stripe
// provider's local fake: (a) a customer logs in, opens the control panel through single sign-on and lands in
// the emulator's user area, pays an invoice through the provider and sees it paid; (b) a customer the
// dunning ladder locked sees the warning, pays, and is active again (in tokenbill and in SolusIO); (c) the
// month-so-far estimate from SolusIO's usage, at a pinned instant; (d) the invoice, credit-note and payment lists
// whose filters were refused (error summary, each field's error). Every portal page passes checkPage
// (axe-core, 375 and 1440 px, a screenshot).

const RETURN = "http://portal.test/portal/checkout/return?session_id={CHECKOUT_SESSION_ID}";

let h: SolusioHarness;
let stripe: FakeStripeAccount;
let browser: Browser;
let ada: PortalCustomer;
let dun: PortalCustomer;
const due = addDays(calendarDate(new Date(), "UTC"), -8);
/** Last month: the estimate test pins the server's clock inside it, so its figures never depend on the hour. */
const lastMonth = periodBounds(previousPeriod(new Date(), "UTC"), "UTC");
const clock = testClock();

async function solusioUser(billingUserId: bigint) {
  const users = (await h.emu("GET", "/api/v1/users?per_page=100")).body.data as any[];
  return users.find((u) => String(u.billing_user_id) === String(billingUserId));
}

/** A server for the customer that has run since last month began (the emulator's clock goes back for it). */
async function serverSinceLastMonth(customerId: bigint): Promise<void> {
  await h.emu("POST", "/_emulator/clock", { now: lastMonth.start.toISOString(), frozen: true });
  const plan = (
    await h.emu("POST", "/api/v1/plans", { name: "Portal plan", tokens_per_hour: 7, tokens_per_month: 5000 })
  ).body.data;
  const location = (await h.emu("GET", "/api/v1/locations")).body.data[0];
  const user = await solusioUser(customerId);
  const server = await h.emu("POST", "/api/v1/servers", {
    name: "web-1",
    plan: plan.id,
    location: location.id,
    os: 1,
    password: "pw-123456",
    user: user.id,
  });
  expect(server.status).toBe(201);
  await h.emu("POST", "/_emulator/clock", { now: new Date().toISOString(), frozen: false });
}

beforeAll(async () => {
  if (noBrowser) return;
  stripe = await startFakeStripeAccount();
  h = await startSolusioHarness({ ...stripe.settings, STRIPE_SUCCESS_URL: RETURN }, { now: clock.now });
  h.runner.start();
  ada = await portalCustomer(h.handle, {
    email: "ada@example.com",
    name: "Ada Lovelace",
    dueDate: "2099-01-01",
  });
  dun = await portalCustomer(h.handle, {
    email: "dun@example.com",
    name: "Dun Late",
    dueDate: due,
    single: true,
  });
  await waitForJobs(h.db); // both synced to SolusIO
  await serverSinceLastMonth(ada.id);
  await evaluateCustomerDunning(operatorContext(h.handle), dun.id, new Date()); // day +8: locked
  await waitForJobs(h.db);
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
  await stripe?.close();
});

/** "Pay now" on the invoice page, through Stripe's page (a stand-in: the fake has no pages) and back. */
async function payThroughProvider(page: Page, baseUrl: string): Promise<void> {
  await page.route("https://checkout.stripe.com/**", (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<!doctype html><html lang="en"><title>Checkout</title><main><h1>Stripe checkout (test double)</h1></main></html>`,
    }),
  );
  await page.getByRole("button", { name: "Pay now" }).click();
  await page.waitForURL(/checkout\.stripe\.com\/c\/pay\/cs_test_/);
  const sessionId = page.url().split("/").at(-1)!;
  // The customer pays on Stripe's page; Stripe's signed webhook reaches tokenbill; Stripe sends the browser back.
  expect((await stripe.deliverTo({ url: baseUrl }, stripe.fake.completeSession(sessionId))).status).toBe(200);
  const success = stripe.fake.sessions.get(sessionId)!.success_url!;
  await page.goto(success.replace("http://portal.test", baseUrl).replace("{CHECKOUT_SESSION_ID}", sessionId));
}

describe.skipIf(noBrowser)("the customer portal in a real browser", () => {
  it("(a) opens the control panel by SSO, pays an invoice through the provider and sees it paid", async () => {
    const base = h.server.url;
    const context = await browser.newContext();
    const page = await context.newPage();
    await logInThroughForm(page, base, "portal", ada.email, PORTAL_PASSWORD);
    expect(await page.locator("#amount-due").textContent()).toBe("$42.74");
    await checkPage(page, "portal-overview");

    await page.getByRole("button", { name: "Open control panel" }).click();
    await page.waitForURL(`${h.emulator.url}/`);
    expect(await page.locator("h1").first().textContent()).toBe("SolusIO user area");
    expect(await page.locator("header").textContent()).toContain(ada.email);

    await page.goto(`${base}/portal/invoices`);
    expect(await page.locator("table").textContent()).toContain(ada.invoiceNumber);
    await checkPage(page, "portal-invoices");
    await page.goto(`${base}/portal/invoices/${ada.unpaidInvoiceId}`);
    expect(await page.locator("#invoice-status").textContent()).toBe("unpaid");
    await checkPage(page, "portal-invoice");
    await payThroughProvider(page, base);
    expect(new URL(page.url()).pathname).toBe(`/portal/invoices/${ada.unpaidInvoiceId}`);
    expect(await page.locator("#invoice-status").textContent()).toBe("paid");
    expect(await page.locator("#invoice-amount-due").textContent()).toBe("$0.00");
    await checkPage(page, "portal-invoice-paid");

    for (const [path, name] of [
      ["/portal/credit-notes", "portal-credit-notes"],
      ["/portal/payments", "portal-payments"],
      [`/portal/payments/${ada.paymentId}`, "portal-payment"],
      ["/portal/statement", "portal-statement"],
      ["/portal/profile", "portal-profile"],
    ] as const) {
      await page.goto(base + path);
      await checkPage(page, name);
    }
    expect(await page.locator("#profile-email").textContent()).toBe(ada.email);
    // The statement's closing balance after the card payment of $12.34: $42.74 − $12.34.
    await page.goto(`${base}/portal/statement`);
    expect(await page.locator("#statement-balance").textContent()).toBe("$30.40");
    await context.close();
  });

  it("(b) a customer locked by dunning sees the warning, pays and is active again", async () => {
    const base = h.server.url;
    expect((await solusioUser(dun.id)).status).toBe("locked");
    const context = await browser.newContext();
    const page = await context.newPage();
    await logInThroughForm(page, base, "portal", dun.email, PORTAL_PASSWORD);
    const warning = page.locator("#dunning-warning");
    expect(await warning.textContent()).toContain("Your account is locked");
    expect(await warning.textContent()).toContain("your account will be suspended");
    await checkPage(page, "portal-dunning");

    await warning.getByRole("link", { name: "Pay the invoice" }).click();
    await payThroughProvider(page, base);
    expect(await page.locator("#invoice-status").textContent()).toBe("paid");
    await waitForJobs(h.db); // the payment's dunning evaluation, then the user sync to SolusIO
    await page.goto(`${base}/portal`);
    expect(await page.locator("#dunning-warning").count()).toBe(0);
    expect(await page.locator("#amount-due").textContent()).toBe("$0.00");
    await page.goto(`${base}/portal/profile`);
    expect(await page.locator("dl").first().textContent()).toContain("active");
    expect((await solusioUser(dun.id)).status).toBe("active");
    await context.close();
  });

  it("(c) shows the month so far from SolusIO's usage, marked as an estimate", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      // 5 h 40 min into last month (the server's clock pinned there): web-1 has run 5 whole hours at 7 tokens
      // an hour = 35 tokens, times U = $0.001 a token (no discount, no tax) = $0.035, shown as $0.04.
      clock.pin(new Date(lastMonth.start.getTime() + 5 * 3_600_000 + 40 * 60_000));
      await logInThroughForm(page, h.server.url, "portal", ada.email, PORTAL_PASSWORD);
      const day = lastMonth.start.toISOString().slice(0, 10);
      expect(await page.locator("#estimate").textContent()).toContain(
        `Usage from ${day} 00:00 UTC to ${day} 05:00 UTC`,
      );
      const cells = await page
        .locator("table")
        .last()
        .locator("tbody tr")
        .first()
        .locator("td")
        .allTextContents();
      expect(cells).toEqual(["web-1", "Portal plan", "35", "$0.04"]);
    } finally {
      clock.release();
      await context.close();
    }
  });

  it("(d) shows each list whose filters were refused accessibly: the error summary and each field's error", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await logInThroughForm(page, h.server.url, "portal", ada.email, PORTAL_PASSWORD);
    for (const [path, fields, name] of [
      ["/portal/invoices?status=overdue&period=2026-13", ["status", "period"], "portal-invoices-refused"],
      [
        "/portal/credit-notes?month=2026-13&settled=cash",
        ["month", "settled"],
        "portal-credit-notes-refused",
      ],
      ["/portal/payments?method=paypal&month=2026-13&page=0", ["method", "month"], "portal-payments-refused"],
    ] as const) {
      const answer = await page.goto(h.server.url + path);
      expect(answer?.status(), path).toBe(400);
      expect(await page.locator(".error-summary h2").textContent(), path).toBe(
        "There are 2 problems with these filters",
      );
      for (const field of fields) {
        expect(await page.locator(`#${field}`).getAttribute("aria-invalid"), field).toBe("true");
        expect(await page.locator(`#${field}-error`).count(), field).toBe(1);
      }
      await checkPage(page, name);
    }
    await context.close();
  });
});
