import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  PORTAL_PASSWORD,
  type PortalCustomer,
  portalCustomer,
} from "../../src/web/portal/testing/portal-fixtures.ts";
import { checkPage, logInThroughForm, noBrowser } from "../helpers/browser.ts";
import { browserPerFile } from "../helpers/browser-per-file.ts";

// The portal's money pages on a phone (375 px): the amount due, the status and the amounts are on the
// screen without sideways scrolling. Until 2026-12-06 the tables kept their desktop columns inside a frame
// that scrolled, so /portal/invoices showed Invoice, Period, Issued and Due and nothing of what was owed.

const file = browserPerFile();
let ada: PortalCustomer;

beforeAll(async () => {
  if (noBrowser) return;
  ada = await portalCustomer(file.handle, {
    email: "ada@example.com",
    name: "Ada Lovelace",
    dueDate: "2099-01-01",
  });
}, 60_000);

/** Each located element's text whose box lies outside the viewport (none is allowed). */
async function offScreen(page: Page, selector: string): Promise<string[]> {
  const count = await page.locator(selector).count();
  expect(count, selector).toBeGreaterThan(0);
  return page.evaluate((sel) => {
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>(sel)) {
      const box = el.getBoundingClientRect();
      // Visible on screen and not clipped by a scrolling frame around it.
      let clipped = box.left < 0 || box.right > window.innerWidth || box.width === 0;
      for (let up = el.parentElement; up && !clipped; up = up.parentElement) {
        if (up.scrollWidth > up.clientWidth + 1 && getComputedStyle(up).overflowX !== "visible")
          clipped = true;
      }
      if (clipped) out.push((el.textContent ?? "").trim());
    }
    return out;
  }, selector);
}

async function noSidewaysScroll(page: Page): Promise<void> {
  expect(
    await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
  ).toBeLessThanOrEqual(0);
}

describe.skipIf(noBrowser)("the portal's money pages at 375 px", () => {
  it("show the amount due, the status and the amounts without sideways scrolling", async () => {
    const context = await file.browser.newContext({ viewport: { width: 375, height: 800 } });
    const page = await context.newPage();
    await logInThroughForm(page, file.server.url, "portal", ada.email, PORTAL_PASSWORD);

    await page.goto(`${file.server.url}/portal/invoices`);
    await noSidewaysScroll(page);
    // Total, Amount due and Status (the 5th to 7th columns).
    expect(await offScreen(page, "tbody td:nth-child(6)")).toEqual([]);
    expect(await offScreen(page, "tbody td:nth-child(7)")).toEqual([]);
    expect(await offScreen(page, "tbody td:nth-child(5)")).toEqual([]);
    expect(await page.locator("tbody td:nth-child(6)").allTextContents()).toContain("$12.34");
    // Screen readers still read a table: the column header names the cell.
    expect(await page.getByRole("columnheader", { name: "Amount due" }).count()).toBe(1);
    expect(await page.getByRole("cell", { name: "$30.40" }).count()).toBe(1);
    await checkPage(page, "portal-invoices-stacked");

    await page.goto(`${file.server.url}/portal/invoices/${ada.invoiceId}`);
    await page.setViewportSize({ width: 375, height: 800 });
    await noSidewaysScroll(page);
    expect(await offScreen(page, "td.num")).toEqual([]);
    expect(await offScreen(page, "#invoice-status")).toEqual([]);
    expect(await page.locator("#invoice-total").textContent()).toBe("$51.40");
    await checkPage(page, "portal-invoice-stacked");

    await page.goto(`${file.server.url}/portal/payments`);
    await page.setViewportSize({ width: 375, height: 800 });
    await noSidewaysScroll(page);
    expect(await offScreen(page, "tbody td:nth-child(4)")).toEqual([]);
    expect(await offScreen(page, "tbody td:nth-child(5)")).toEqual([]);

    await page.goto(`${file.server.url}/portal/credit-notes`);
    await noSidewaysScroll(page);
    expect(await offScreen(page, "tbody td:nth-child(7)")).toEqual([]);

    // The statement: each entry's amount and running balance, and the closing balance, on the screen.
    await page.goto(`${file.server.url}/portal/statement`);
    await noSidewaysScroll(page);
    expect(await offScreen(page, "#statement-entries tbody td:nth-child(4)")).toEqual([]);
    expect(await offScreen(page, "#statement-entries tbody td:nth-child(5)")).toEqual([]);
    expect(await offScreen(page, "#statement-balance")).toEqual([]);
    expect(await page.locator("#statement-balance").textContent()).toBe("$42.74");
    await checkPage(page, "portal-statement-stacked");

    // A wide screen keeps the table with its column headers.
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${file.server.url}/portal/invoices`);
    expect(await page.locator("thead th").first().isVisible()).toBe(true);
    expect(await page.locator("table").evaluate((t) => getComputedStyle(t).display)).toBe("table");
    await context.close();
  });
});
