import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { october2026Invoice } from "./fixtures/october-2026-invoice.ts";
import { resizeBackupsIpsInvoice } from "./fixtures/resize-backups-ips-invoice.ts";
import type { InvoiceDocument } from "./invoice-document.ts";
import { pdfFonts } from "./pdf-fonts.ts";
import { renderInvoicePdf } from "./render-invoice-pdf.ts";
import { objectsText } from "./testing/pdf-structure.ts";
import { HAS_WQY_MICROHEI, WQY_MICROHEI, WQY_SKIP_REASON } from "./testing/fallback-font.ts";

// Reading the PDF back needs poppler's pdftotext (Debian: apt-get install poppler-utils).
const HAS_PDFTOTEXT = spawnSync("pdftotext", ["-v"]).error === undefined;
const SKIP_REASON = HAS_PDFTOTEXT ? "" : " [skipped: pdftotext missing, install poppler-utils]";

function pdfText(pdf: Buffer): string {
  const run = spawnSync("pdftotext", ["-layout", "-enc", "UTF-8", "-", "-"], {
    input: pdf,
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`pdftotext failed: ${run.stderr}`);
  return run.stdout;
}

/** The cells of one table row, in order, on one line of the layout text. */
function rowPattern(...cells: string[]): RegExp {
  return new RegExp(cells.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("\\s+"));
}

describe("renderInvoicePdf", () => {
  it("produces a PDF, byte for byte the same each time, dated by the issue date", async () => {
    const a = await renderInvoicePdf(october2026Invoice);
    const b = await renderInvoicePdf(structuredClone(october2026Invoice));
    expect(a.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(a.subarray(-6).toString("latin1")).toContain("%%EOF");
    expect(a.equals(b)).toBe(true);
    expect(objectsText(a)).toContain("(D:20261101000000Z)");
  });

  it("rejects an issue date that is not YYYY-MM-DD", async () => {
    for (const issueDate of ["2026-13-45", "2026-02-31", "1 Nov 2026"]) {
      await expect(renderInvoicePdf({ ...october2026Invoice, issueDate })).rejects.toThrow(/issueDate/);
    }
  });

  it.skipIf(!HAS_PDFTOTEXT)(
    `shows the lines, taxes per label and formatted totals${SKIP_REASON}`,
    async () => {
      const text = pdfText(await renderInvoicePdf(october2026Invoice));
      for (const row of [
        rowPattern("web-1 (server 101)", "1 Core, 1 GB RAM", "700", "Hourly", "4,900", "$0.001", "$4.90"),
        rowPattern("db-1 (server 102)", "1 Core, 1 GB RAM", "730", "Monthly cap", "5,000", "$0.001", "$5.00"),
        rowPattern("test-1 (server 103)", "2 Cores, 4 GB RAM", "1", "Hourly", "28", "$0.001", "$0.03"),
        rowPattern("Subtotal", "$9.93"),
        rowPattern("Special Client Group Discount", "-$0.50"),
        rowPattern("Net", "$9.43"),
        rowPattern("City Tax 6% on $9.43", "$0.57"),
        rowPattern("State Tax 2% on $10.00", "$0.20"),
        rowPattern("Total (USD)", "$10.20"),
        rowPattern("Due date", "2026-11-15"),
        rowPattern("Billing period", "2026-10"),
        rowPattern("Please pay $10.20 by 2026-11-15"),
      ]) {
        expect(text).toMatch(row);
      }
      expect(text).toContain("Acme Web Studio");
      expect(text).toContain("Page 1 of 1");
    },
  );

  it.skipIf(!HAS_PDFTOTEXT)(
    `shows a resized server per plan with its IP and backup lines, one row each, in order${SKIP_REASON}`,
    async () => {
      const text = pdfText(await renderInvoicePdf(resizeBackupsIpsInvoice));
      const rows = [
        rowPattern("web-1 (server 201)", "1 Core, 1 GB RAM", "400", "Hourly", "2,800", "$0.001", "$2.80"),
        rowPattern(
          "web-1 (server 201) · Additional IPs ×1",
          "1 Core, 1 GB RAM",
          "400",
          "Hourly",
          "400",
          "$0.001",
          "$0.40",
        ),
        rowPattern("web-1 (server 201)", "2 Cores, 2 GB RAM", "344", "Hourly", "4,816", "$0.001", "$4.82"),
        rowPattern(
          "web-1 (server 201) · Additional IPs ×1",
          "2 Cores, 2 GB RAM",
          "344",
          "Hourly",
          "688",
          "$0.001",
          "$0.69",
        ),
        rowPattern(
          "web-1 (server 201) · Backups 10%",
          "2 Cores, 2 GB RAM",
          "100",
          "Backup share",
          "140",
          "$0.001",
          "$0.14",
        ),
        rowPattern("db-1 (server 202)", "1 Core, 1 GB RAM", "744", "Monthly cap", "5,000", "$0.001", "$5.00"),
        rowPattern(
          "db-1 (server 202) · Additional IPs ×2",
          "1 Core, 1 GB RAM",
          "754",
          "Monthly cap",
          "510",
          "$0.001",
          "$0.51",
        ),
        rowPattern(
          "db-1 (server 202) · Backups 10%",
          "1 Core, 1 GB RAM",
          "744",
          "Backup share",
          "500",
          "$0.001",
          "$0.50",
        ),
        /Hours: server hours on server lines; on additional-IP lines/,
        rowPattern("Sales Tax 8.875% on $13.37", "$1.19"),
        rowPattern("Total (USD)", "$14.56"),
      ];
      // Each pattern on one line of the layout text (no cell wrapped), and in the document's order.
      let from = 0;
      for (const row of rows) {
        const at = text.slice(from).search(row);
        expect(at, `${row} after offset ${from}`).toBeGreaterThanOrEqual(0);
        from += at + 1;
      }
    },
  );

  it.skipIf(!HAS_PDFTOTEXT)(`prints € and £${SKIP_REASON}`, async () => {
    const eur: InvoiceDocument = {
      ...october2026Invoice,
      currency: { ...october2026Invoice.currency, code: "EUR", displayPrefix: "€" },
    };
    expect(pdfText(await renderInvoicePdf(eur))).toMatch(rowPattern("Total (EUR)", "€10.20"));
    const gbp: InvoiceDocument = {
      ...october2026Invoice,
      currency: { ...october2026Invoice.currency, code: "GBP", displayPrefix: "£" },
    };
    expect(pdfText(await renderInvoicePdf(gbp))).toMatch(rowPattern("City Tax 6% on £9.43", "£0.57"));
  });

  it.skipIf(!HAS_PDFTOTEXT)(
    `falls back to the ISO code for a symbol the font lacks${SKIP_REASON}`,
    async () => {
      const azn: InvoiceDocument = {
        ...october2026Invoice,
        currency: { ...october2026Invoice.currency, code: "AZN", displayPrefix: "₼" },
      };
      const text = pdfText(await renderInvoicePdf(azn));
      expect(text).toMatch(rowPattern("Total (AZN)", "AZN 10.20"));
      expect(text).toMatch(rowPattern("4,900", "AZN 0.001", "AZN 4.90"));
      expect(text).not.toContain("₼");
    },
  );

  it.skipIf(!HAS_PDFTOTEXT)(
    `names the customer as written, in any European script, and draws the currency's own symbol${SKIP_REASON}`,
    async () => {
      // With pdfkit's Helvetica (WinAnsi only) these printed as "?ukasz W?sowski", "Ors" and "???? ??????".
      const names = ["Łukasz Wąsowski", "Őrség Kft.", "Иван Петров", "Ελληνική Εταιρεία"];
      const inr: InvoiceDocument = {
        ...october2026Invoice,
        currency: { ...october2026Invoice.currency, code: "INR", displayPrefix: "₹" },
        customer: { ...october2026Invoice.customer, name: names[0]! },
        lines: october2026Invoice.lines.map((line, i) => ({ ...line, description: names[i + 1]! })),
      };
      const text = pdfText(await renderInvoicePdf(inr));
      for (const name of names) expect(text).toContain(name);
      expect(text).toMatch(rowPattern("Total (INR)", "₹10.20"));
      expect(text).toMatch(rowPattern("4,900", "₹0.001", "₹4.90"));
      expect(text).not.toContain("?");
    },
  );

  it.skipIf(!HAS_PDFTOTEXT)(`prints a script the font cannot draw as "?"${SKIP_REASON}`, async () => {
    const customer = { ...october2026Invoice.customer, name: "山田 Ōsaka" };
    const text = pdfText(await renderInvoicePdf({ ...october2026Invoice, customer }));
    expect(text).toContain("?? Ōsaka");
  });

  it.skipIf(!HAS_PDFTOTEXT || !HAS_WQY_MICROHEI)(
    `prints Chinese, Japanese and Korean with a configured fallback font, breaking long text between characters${SKIP_REASON}${WQY_SKIP_REASON}`,
    async () => {
      const customer = { ...october2026Invoice.customer, name: "山田太郎 (株式会社やまだ) Ōsaka" };
      const line = october2026Invoice.lines[0]!;
      const lines = [
        { ...line, description: "東京データセンターのウェブサーバー一号機とバックアップ" },
        { ...line, description: "web-1 서버 한국" },
      ];
      const pdf = await renderInvoicePdf(
        { ...october2026Invoice, customer, lines },
        pdfFonts([WQY_MICROHEI]),
      );
      const text = pdfText(pdf);
      expect(text).toContain("\n山田太郎 (株式会社やまだ) Ōsaka\n");
      // Wider than its column: two lines in the cell, the row's figures beside the first.
      expect(text).toMatch(
        rowPattern("東京データセンターのウェブサーバー", "1 Core, 1 GB RAM", "700", "Hourly"),
      );
      expect(text).toMatch(/\n\s*一号機とバックアップ\n/);
      expect(text).toMatch(rowPattern("web-1 서버 한국", "1 Core, 1 GB RAM"));
      expect(text).not.toContain("?");
      const fonts = spawnSync("pdffonts", ["-"], { input: pdf, encoding: "utf8" }).stdout;
      expect(fonts).toMatch(/\+WenQuanYiMicroHei +CID TrueType +Identity-H +yes +yes/);
      // A document that needs no fallback font is the same file with one configured as without.
      const latin = await renderInvoicePdf(october2026Invoice, pdfFonts([WQY_MICROHEI]));
      expect(latin.equals(await renderInvoicePdf(october2026Invoice))).toBe(true);
    },
  );

  it.skipIf(!HAS_PDFTOTEXT)(
    `prints Hebrew and Arabic names right to left, their first words first${SKIP_REASON}`,
    async () => {
      // pdftotext reads right-to-left text back in the order it was written, from the order it is drawn in
      // (pdf-bidi.test.ts checks that order itself); it marks it with embedding controls, removed here.
      const read = async (name: string) => {
        const customer = { ...october2026Invoice.customer, name };
        const text = pdfText(await renderInvoicePdf({ ...october2026Invoice, customer }));
        return text.replace(/[\u202a-\u202e]/g, "");
      };
      expect(await read("שלום כהן")).toContain("\nשלום כהן\n");
      expect(await read("شركة الأمل للاستضافة")).toMatch(/\nشركة (الأمل|األمل) (للاستضافة|لالستضافة)\n/);
    },
  );

  it.skipIf(!HAS_PDFTOTEXT)(
    `continues a long line table on further pages under repeated headings${SKIP_REASON}`,
    async () => {
      const line = october2026Invoice.lines[0]!;
      const lines = Array.from({ length: 90 }, (_, i) => ({
        ...line,
        description: `server-${String(i + 1).padStart(3, "0")} with a long name that wraps`,
      }));
      const pdf = await renderInvoicePdf({ ...october2026Invoice, lines });
      const text = pdfText(pdf);
      const pages = text.split("\f").filter((p) => p.trim() !== "");
      expect(pages.length).toBeGreaterThanOrEqual(3);
      pages.forEach((page, i) => {
        expect(page).toContain(`Page ${i + 1} of ${pages.length}`);
        expect(page).toMatch(
          rowPattern("Description", "Plan", "Hours", "Charge", "Tokens", "Unit cost", "Amount"),
        );
      });
      for (const n of ["001", "045", "090"]) expect(text).toContain(`server-${n}`);
      expect(pages.at(-1)).toMatch(rowPattern("Total (USD)", "$10.20"));
    },
  );
});
