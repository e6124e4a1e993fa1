import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { october2026Invoice } from "../../src/billing/documents/fixtures/october-2026-invoice.ts";
import { renderInvoiceHtml } from "../../src/billing/documents/render-invoice-html.ts";
import { launchBrowser, noBrowser } from "../helpers/browser.ts";

// The HTML invoice's line table at a phone's 320 px: until 2026-12-06 the page fitted but the table scrolled
// sideways inside itself (overflow-x: auto), seven columns in 300 px. It now reflows into one block a line,
// each figure after its column's name; at desktop width and in print it stays a table.

let browser: Browser;

beforeAll(async () => {
  if (!noBrowser) browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

const html = renderInvoiceHtml(october2026Invoice);

async function open(width: number, media: "screen" | "print" = "screen"): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 800 } });
  await page.emulateMedia({ media });
  await page.setContent(html);
  return page;
}

/** How the line table is laid out: overflows of the page and of the table, and each cell's display. */
async function layout(page: Page) {
  return page.evaluate(() => {
    const table = document.querySelector<HTMLElement>("table.lines")!;
    const firstRow = table.querySelector("tbody tr")!;
    return {
      pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
      tableOverflow: table.scrollWidth - table.clientWidth,
      cellDisplay: getComputedStyle(firstRow.querySelector("td")!).display,
      headingShown: table.querySelector("thead")!.getBoundingClientRect().height > 1,
      // What shows before a figure: its column's name, on the line's own row.
      labels: [...firstRow.querySelectorAll("td")].map((td) =>
        getComputedStyle(td, "::before").content.replace(/^"|"$/g, ""),
      ),
    };
  });
}

describe.skipIf(noBrowser)("the HTML invoice's line table", () => {
  it("reflows at 320 px: nothing scrolls sideways, each figure after its column's name", async () => {
    const page = await open(320);
    const got = await layout(page);
    expect(got.pageOverflow).toBeLessThanOrEqual(0);
    expect(got.tableOverflow).toBeLessThanOrEqual(0);
    expect(got.cellDisplay).not.toBe("table-cell");
    expect(got.headingShown).toBe(false);
    expect(got.labels).toEqual(["none", "Plan", "Hours", "Charge", "Tokens", "Unit cost", "Amount"]);
    await page.close();
  });

  it("never breaks a date over two lines at 320 px: each fact's date or time is one line", async () => {
    const page = await open(320);
    const dates = await page.evaluate(() =>
      [...document.querySelectorAll(".facts dd time")].map((time) => ({
        text: time.textContent,
        datetime: time.getAttribute("datetime"),
        lines: time.getClientRects().length,
      })),
    );
    // "Period covered" broke inside its second date ("2026-11-01" above "00:00 UTC") until 2026-12-06.
    expect(dates).toEqual([
      { text: "2026-11-01", datetime: "2026-11-01", lines: 1 },
      { text: "2026-11-15", datetime: "2026-11-15", lines: 1 },
      { text: "2026-10-01 00:00", datetime: "2026-10-01T00:00Z", lines: 1 },
      { text: "2026-11-01 00:00 UTC", datetime: "2026-11-01T00:00Z", lines: 1 },
    ]);
    expect((await layout(page)).pageOverflow).toBeLessThanOrEqual(0);
    await page.close();
  });

  it("stays a table with its headings at 1280 px and in print", async () => {
    for (const [width, media] of [
      [1280, "screen"],
      [320, "print"],
    ] as const) {
      const page = await open(width, media);
      const got = await layout(page);
      expect(got.cellDisplay, `${width} px ${media}`).toBe("table-cell");
      expect(got.headingShown, `${width} px ${media}`).toBe(true);
      expect(got.labels.every((label) => label === "none" || label === "normal")).toBe(true);
      await page.close();
    }
  });
});
