import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { october2026Invoice } from "./fixtures/october-2026-invoice.ts";
import { resizeBackupsIpsInvoice } from "./fixtures/resize-backups-ips-invoice.ts";
import type { InvoiceDocument } from "./invoice-document.ts";
import { renderInvoiceHtml } from "./render-invoice-html.ts";

// The golden set: each fixture document beside the page it must render to, byte for byte.
const GOLDEN_SET: { name: string; doc: InvoiceDocument; file: string }[] = [
  { name: "the billing-rules §4 invoice", doc: october2026Invoice, file: "october-2026-invoice.html" },
  {
    name: "the billing-rules §2.2 invoice (resize, backups, IPs)",
    doc: resizeBackupsIpsInvoice,
    file: "resize-backups-ips-invoice.html",
  },
];
// Regenerating the golden files is a deliberate act: UPDATE_GOLDEN=1 npx vitest run src/billing/documents
const UPDATE_GOLDEN = process.env["UPDATE_GOLDEN"] === "1";

describe("renderInvoiceHtml", () => {
  it.each(GOLDEN_SET)("renders $name byte for byte like its golden file", ({ doc, file }) => {
    const golden = fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));
    const html = renderInvoiceHtml(doc);
    if (UPDATE_GOLDEN) writeFileSync(golden, html);
    expect(existsSync(golden), "golden file missing: run with UPDATE_GOLDEN=1 and review it").toBe(true);
    expect(html).toBe(readFileSync(golden, "utf8"));
  });

  it("is deterministic", () => {
    expect(renderInvoiceHtml(october2026Invoice)).toBe(
      renderInvoiceHtml(structuredClone(october2026Invoice)),
    );
  });

  it("shows the lines, the discount, taxes per label with rate, the total and the due date", () => {
    const html = renderInvoiceHtml(october2026Invoice);
    for (const text of [
      '<td data-label="Description">web-1 (server 101)</td>',
      '<td class="num" data-label="Tokens">4,900</td>',
      '<td class="num" data-label="Amount">$4.90</td>',
      '<td class="num" data-label="Amount">$0.03</td>',
      '<th scope="row">Special Client Group Discount</th><td>-$0.50</td>',
      '<th scope="row">Net</th><td>$9.43</td>',
      '<th scope="row">City Tax 6% on $9.43</th><td>$0.57</td>',
      '<th scope="row">State Tax 2% on $10.00</th><td>$0.20</td>',
      '<th scope="row">Total (USD)</th><td>$10.20</td>',
      '<dt>Due date</dt><dd><time datetime="2026-11-15">2026-11-15</time></dd>',
      "<dt>Billing period</dt><dd>2026-10</dd>",
    ]) {
      expect(html).toContain(text);
    }
    expect(html).not.toContain('class="line-note"');
  });

  it("shows a resized server's lines per plan, each with its IPs, then its backups, and what Hours counts", () => {
    const html = renderInvoiceHtml(resizeBackupsIpsInvoice);
    const rows = [
      ...html.matchAll(
        /<tr><td [^>]*>(.*?)<\/td><td [^>]*>(.*?)<\/td><td [^>]*>(.*?)<\/td><td [^>]*>(.*?)<\/td><td [^>]*>(.*?)<\/td>/g,
      ),
    ].map((m) => m.slice(1, 6));
    expect(rows).toEqual([
      ["web-1 (server 201)", "1 Core, 1 GB RAM", "400", "Hourly", "2,800"],
      ["web-1 (server 201) · Additional IPs ×1", "1 Core, 1 GB RAM", "400", "Hourly", "400"],
      ["web-1 (server 201)", "2 Cores, 2 GB RAM", "344", "Hourly", "4,816"],
      ["web-1 (server 201) · Additional IPs ×1", "2 Cores, 2 GB RAM", "344", "Hourly", "688"],
      ["web-1 (server 201) · Backups 10%", "2 Cores, 2 GB RAM", "100", "Backup share", "140"],
      ["db-1 (server 202)", "1 Core, 1 GB RAM", "744", "Monthly cap", "5,000"],
      ["db-1 (server 202) · Additional IPs ×2", "1 Core, 1 GB RAM", "754", "Monthly cap", "510"],
      ["db-1 (server 202) · Backups 10%", "1 Core, 1 GB RAM", "744", "Backup share", "500"],
    ]);
    expect(html).toMatch(/<p class="line-note">Hours: .*IP-hours.*hours with backups on/);
    expect(html).toContain('<th scope="row">Sales Tax 8.875% on $13.37</th><td>$1.19</td>');
    expect(html).toContain('<th scope="row">Total (USD)</th><td>$14.56</td>');
  });

  it("is self-contained: no scripts, no external assets; its icon inline", () => {
    const html = renderInvoiceHtml(october2026Invoice);
    // Without an icon of its own the browser asks for /favicon.ico, which no route answers (until 2026-12-05).
    const icon = /<link rel="icon" href="data:image\/svg\+xml,[^"]*">/;
    expect(html).toMatch(icon);
    expect(html.replace(icon, "")).not.toMatch(/<script|<link|<img|src=|href=|url\(/i);
  });

  it("escapes every value taken from the document", () => {
    const doc: InvoiceDocument = {
      ...october2026Invoice,
      customer: { ...october2026Invoice.customer, name: '<script>alert("x")</script>' },
      seller: { ...october2026Invoice.seller, name: "Smith & Sons <Hosting>" },
      discounts: [{ name: 'It\'s "special"', amount: 50n }],
    };
    const html = renderInvoiceHtml(doc);
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).toContain("<title>Invoice INV-2026-000001 · Smith &amp; Sons &lt;Hosting&gt;</title>");
    expect(html).toContain("It&#39;s &quot;special&quot;");
  });

  it("never lets document text open a tag of its own (property)", () => {
    const allowed = new Set(
      "html head meta title link style body main header div p br h1 h2 dl dt dd section table thead tbody tr th td footer time".split(
        " ",
      ),
    );
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme-ascii" }), { minLength: 5, maxLength: 5 }),
        (texts) => {
          const [name = "", description = "", seller = "", label = "", discount = ""] = texts;
          const base = october2026Invoice;
          const html = renderInvoiceHtml({
            ...base,
            customer: { ...base.customer, name },
            seller: { ...base.seller, name: seller },
            lines: base.lines.map((l) => ({ ...l, description })),
            taxes: base.taxes.map((t) => ({ ...t, label })),
            discounts: [{ name: discount, amount: 50n }],
          });
          for (const m of html.matchAll(/<\/?([^\s>/!]+)/g)) expect(allowed).toContain(m[1]?.toLowerCase());
        },
      ),
    );
  });

  it("marks a draft as not payable and shows what a paid invoice still owes", () => {
    const draft = renderInvoiceHtml({ ...october2026Invoice, status: "draft", number: "" });
    expect(draft).toContain('<p class="badge">DRAFT</p>');
    expect(draft).toContain("(not yet numbered)");
    expect(draft).not.toContain("Please pay");

    const paid = renderInvoiceHtml({
      ...october2026Invoice,
      status: "paid",
      paid: { amount: 1020n, date: "2026-11-10", reference: "WIRE-778" },
    });
    expect(paid).toContain('<p class="badge">PAID</p>');
    expect(paid).toContain('<th scope="row">Paid on 2026-11-10</th><td>-$10.20</td>');
    expect(paid).toContain('<th scope="row">Balance due</th><td>$0.00</td>');
    expect(paid).toContain("reference WIRE-778");

    const empty = renderInvoiceHtml({
      ...october2026Invoice,
      lines: [],
      subtotal: 0n,
      discounts: [],
      net: 0n,
      taxes: [],
      total: 0n,
    });
    expect(empty).toContain("No charges in this period.");
    expect(empty).not.toContain(">Net<");
  });

  it("formats amounts with the customer's currency block", () => {
    const html = renderInvoiceHtml({
      ...october2026Invoice,
      currency: {
        code: "EUR",
        exponent: 2,
        displayPrefix: "",
        displaySuffix: " €",
        thousandsSeparator: ".",
        decimalsSeparator: ",",
      },
      lines: [{ ...october2026Invoice.lines[0]!, tokens: 1234567n, unitCost: "0.00091", amount: 112346n }],
      total: 123456789n,
    });
    expect(html).toContain('<td class="num" data-label="Tokens">1.234.567</td>');
    expect(html).toContain('<td class="num" data-label="Unit cost">0,00091 €</td>');
    expect(html).toContain('<td class="num" data-label="Amount">1.123,46 €</td>');
    expect(html).toContain("<td>1.234.567,89 €</td>");
    expect(html).toContain("City Tax 6% on 9,43 €");
  });
});
