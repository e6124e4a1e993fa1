import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  creditNoteDocument,
  workedExampleStatement,
} from "../../src/billing/documents/fixtures/money-in-documents.ts";
import { october2026Invoice } from "../../src/billing/documents/fixtures/october-2026-invoice.ts";
import { renderCreditNoteHtml } from "../../src/billing/documents/render-credit-note.ts";
import { renderInvoiceHtml } from "../../src/billing/documents/render-invoice-html.ts";
import { renderStatementHtml } from "../../src/billing/documents/render-statement.ts";
import { launchBrowser, noBrowser } from "../helpers/browser.ts";

// The HTML documents (invoice, credit note, statement) with a customer named without spaces and a long
// address, in a real browser: until 2026-12-05 the name ran 500 px past the invoice's right edge at 1280 px.

const name = "Wolfeschlegelsteinhausenbergerdorff".repeat(5);
const email = "accounts-payable.department@very-long-hosting-company-name.example.com";
let browser: Browser;

beforeAll(async () => {
  if (!noBrowser) browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe.skipIf(noBrowser)("documents with long customer text", () => {
  const documents = {
    invoice: renderInvoiceHtml({
      ...october2026Invoice,
      customer: { ...october2026Invoice.customer, name, email },
    }),
    "credit note": renderCreditNoteHtml({
      ...creditNoteDocument,
      customer: { ...creditNoteDocument.customer, name, email },
    }),
    statement: renderStatementHtml({
      ...workedExampleStatement,
      customer: { ...workedExampleStatement.customer, name, email },
    }),
  };

  for (const [kind, html] of Object.entries(documents))
    it(`keeps the ${kind}'s customer within the page at 1280 px`, async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.setContent(html);
      expect(await page.content()).toContain(name);
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      ).toBeLessThanOrEqual(0);
      await page.close();
    });
});
