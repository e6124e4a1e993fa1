import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { october2026Invoice } from "../../src/billing/documents/fixtures/october-2026-invoice.ts";
import { renderInvoiceHtml } from "../../src/billing/documents/render-invoice-html.ts";
import { pageHtml } from "../../src/web/render.ts";
import { launchBrowser, noBrowser } from "../helpers/browser.ts";

// Pages drawn from their templates (no server: what is measured is the HTML and its style) at a phone's
// 320 px. Until 2026-12-06 the portal's unpaid invoices scrolled sideways even for $5.14, a big "Amount due"
// was cut, the HTML invoice was 427–553 px wide, and one long word as a customer name widened the console's
// customer list to 1537 px.

const BIG = "CHF 100’000’000.00";
const CHF = {
  code: "CHF",
  exponent: 2,
  displayPrefix: "CHF ",
  displaySuffix: "",
  thousandsSeparator: "’",
  decimalsSeparator: ".",
};
let browser: Browser;

beforeAll(async () => {
  if (!noBrowser) browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** How far the page, and any element of `selector`, is wider than what shows it (0 or less: it fits). */
async function overflowAt(html: string, width: number, selector = ".table-wrap"): Promise<number[]> {
  const page: Page = await browser.newPage({ viewport: { width, height: 800 } });
  await page.setContent(html);
  const widths = await page.evaluate(
    (sel) => [
      document.documentElement.scrollWidth - window.innerWidth,
      ...[...document.querySelectorAll<HTMLElement>(sel)].map((e) => e.scrollWidth - e.clientWidth),
    ],
    selector,
  );
  await page.close();
  return widths;
}

const overview = (amount: string) =>
  pageHtml("portal-home", {
    face: "portal",
    title: "Your account",
    csrf: "c",
    who: { name: "Ada", detail: "ada@example.com" },
    status: "active",
    balance: amount,
    amount_due: amount,
    unpaid: [{ id: "inv_1", number: "INV-2026-000001", due_date: "2026-11-14", amount_due: amount }],
    estimate: { available: false },
  });

describe.skipIf(noBrowser)("pages on a phone", () => {
  it.each(["$5.14", BIG])("fits the portal's overview with %s due at 320 px", async (amount) => {
    for (const over of await overflowAt(overview(amount), 320, ".table-wrap, .card"))
      expect(over).toBeLessThanOrEqual(0);
  });

  it("fits the HTML invoice, big amounts included, at 320 and 375 px", async () => {
    const html = renderInvoiceHtml({
      ...october2026Invoice,
      currency: CHF,
      subtotal: 10_000_000_000n,
      total: 10_000_000_000n,
      amountDue: 10_000_000_000n,
    });
    expect(html).toContain(BIG);
    for (const width of [320, 375]) {
      const [page] = await overflowAt(html, width);
      expect(page, `at ${width}px`).toBeLessThanOrEqual(0);
    }
  });

  it("keeps a one-word customer name within the console's customer list at 1280 px", async () => {
    const name = "Wolfeschlegelsteinhausenbergerdorff".repeat(3).padEnd(118, "x");
    const html = pageHtml("console-customers", {
      face: "console",
      title: "Customers",
      csrf: "c",
      filters: { q: "", status: "", sync_state: "" },
      statuses: [],
      syncStates: [],
      statusBadge: {},
      syncBadge: {},
      may: { admin: false },
      customers: [
        { id: 1, name, email: "a@example.com", currency: "USD", status: "active", sync: { state: "synced" } },
      ],
    });
    for (const over of await overflowAt(html, 1280)) expect(over).toBeLessThanOrEqual(0);
  });
});
