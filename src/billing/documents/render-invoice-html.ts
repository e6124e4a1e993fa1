import { escapeHtml } from "./html-escape.ts";
import { htmlPage } from "./html-page.ts";
import { timeElements } from "./html-time.ts";
import { describeInvoice } from "./invoice-content.ts";
import type { InvoiceDocument } from "./invoice-document.ts";

// A self-contained page (inline CSS, no scripts, no external assets) that prints on one A4/Letter sheet
// for ordinary invoices. Output depends on the document only — no clock — so it serves as a golden file.
// On a phone (40rem and narrower) the line table reflows: each line a block, each figure on its own row
// after its column's name (the cell's data-label), the description first as the line's title; its headings
// stay in the page, hidden, for screen readers. Wide screens and print keep the table. (No explicit table
// roles as the portal's templates have: biome lints this page's golden file and calls them redundant.)
// A fact's dates and times are <time> elements that never break inside (html-time.ts).

const STYLE = `
  @page { size: A4; margin: 16mm; }
  * { box-sizing: border-box; }
  body { margin: 0; color: #1f2328; background: #fff; font: 10.5pt/1.45 "Helvetica Neue", Helvetica, Arial, sans-serif; }
  .invoice { max-width: 190mm; margin: 0 auto; padding: 12mm 0; }
  .top { display: flex; justify-content: space-between; gap: 12mm; align-items: flex-start; }
  .seller-name { font-size: 15pt; font-weight: 700; margin: 0 0 2mm; }
  p { margin: 0 0 2mm; }
  h1 { font-size: 22pt; margin: 0 0 3mm; text-align: right; letter-spacing: 0.04em; text-transform: uppercase; }
  h2 { font-size: 9pt; margin: 0 0 1mm; text-transform: uppercase; letter-spacing: 0.06em; color: #59636e; }
  .badge { text-align: right; font-weight: 700; letter-spacing: 0.1em; color: #a40e26; }
  .facts { display: grid; grid-template-columns: auto auto; gap: 0.5mm 5mm; margin: 0; }
  .facts dt { color: #59636e; text-align: right; }
  .facts dd { margin: 0; font-variant-numeric: tabular-nums; }
  .bill-to { margin: 8mm 0 6mm; }
  .bill-to .name { font-weight: 700; margin-bottom: 0.5mm; }
  .bill-to, .facts dd { overflow-wrap: anywhere; }
  time { white-space: nowrap; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  .lines th { text-align: left; font-size: 9pt; color: #59636e; border-bottom: 1.5pt solid #1f2328; padding: 1.5mm 2mm; }
  .lines td { border-bottom: 0.5pt solid #d1d9e0; padding: 1.5mm 2mm; vertical-align: top; }
  .lines .num { text-align: right; white-space: nowrap; }
  .lines tr { break-inside: avoid; }
  .line-note { margin: 1.5mm 0 0; color: #59636e; font-size: 8.5pt; }
  .totals { width: auto; margin: 4mm 0 0 auto; min-width: 80mm; }
  .totals th { text-align: left; font-weight: 400; padding: 1mm 2mm; vertical-align: baseline; }
  .totals td { text-align: right; padding: 1mm 2mm; white-space: nowrap; vertical-align: baseline; }
  .totals .total th, .totals .total td, .totals .due th, .totals .due td { font-weight: 700; border-top: 1.5pt solid #1f2328; }
  .totals .total td { font-size: 12pt; }
  .note { margin-top: 8mm; font-weight: 700; }
  footer { margin-top: 10mm; color: #59636e; font-size: 9pt; }
  @media print { .invoice { padding: 0; } }
  @media screen and (max-width: 40rem) {
    .invoice { padding: 4mm 3mm; }
    .top { flex-direction: column; gap: 4mm; }
    h1, .badge, .facts dt { text-align: left; }
    .lines, .lines tbody, .lines tr, .lines td { display: block; }
    .lines thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
    .lines tr { border-bottom: 0.5pt solid #d1d9e0; padding: 1.5mm 0; }
    .lines td { border: 0; padding: 0.5mm 2mm; overflow-wrap: anywhere; }
    .lines td[data-label] { display: flex; justify-content: space-between; gap: 3mm; text-align: right; }
    .lines td[data-label]::before { content: attr(data-label); color: #59636e; text-align: left; white-space: normal; }
    .lines td:first-child { font-weight: 700; text-align: left; }
    .lines td:first-child::before { content: none; }
    .totals { min-width: 0; width: 100%; }
    .totals td { white-space: normal; overflow-wrap: anywhere; }
  }
`;

/** The invoice as one complete HTML page; every value from the document is escaped. */
export function renderInvoiceHtml(doc: InvoiceDocument): string {
  const c = describeInvoice(doc);
  const e = escapeHtml;
  const lines = (items: string[]): string => items.map(e).join("<br>\n        ");
  const numeric = c.lineColumns.map((col) => col.numeric);
  const cell = (text: string, i: number): string =>
    `<td${numeric[i] === true ? ' class="num"' : ""} data-label="${e(c.lineColumns[i]?.label ?? "")}">${e(text)}</td>`;

  const head = c.lineColumns
    .map((col) => `<th scope="col"${col.numeric ? ' class="num"' : ""}>${e(col.label)}</th>`)
    .join("");
  const rows =
    c.lineRows.length === 0
      ? [`<tr><td colspan="${c.lineColumns.length}">No charges in this period.</td></tr>`]
      : c.lineRows.map((row) => `<tr>${row.map(cell).join("")}</tr>`);

  return htmlPage({
    title: `${c.title} · ${c.seller.name}`,
    style: STYLE,
    main: '<main class="invoice">',
    body: [
      '  <header class="top">',
      '    <div class="seller">',
      `      <p class="seller-name">${e(c.seller.name)}</p>`,
      `      <p>${lines(c.seller.lines)}</p>`,
      "    </div>",
      '    <div class="heading">',
      "      <h1>Invoice</h1>",
      ...(c.statusBadge === null ? [] : [`      <p class="badge">${e(c.statusBadge)}</p>`]),
      '      <dl class="facts">',
      ...c.facts.map(
        (f) => `        <dt>${e(f.label)}</dt><dd>${f.dated ? timeElements(f.value) : e(f.value)}</dd>`,
      ),
      "      </dl>",
      "    </div>",
      "  </header>",
      '  <section class="bill-to">',
      "    <h2>Bill to</h2>",
      `    <p class="name">${e(c.billTo.name)}</p>`,
      `    <p>${lines(c.billTo.lines)}</p>`,
      "  </section>",
      '  <table class="lines">',
      `    <thead><tr>${head}</tr></thead>`,
      "    <tbody>",
      ...rows.map((r) => `      ${r}`),
      "    </tbody>",
      "  </table>",
      ...(c.lineNote === null ? [] : [`  <p class="line-note">${e(c.lineNote)}</p>`]),
      '  <table class="totals">',
      "    <tbody>",
      ...c.totals.map(
        (t) => `      <tr class="${t.kind}"><th scope="row">${e(t.label)}</th><td>${e(t.value)}</td></tr>`,
      ),
      "    </tbody>",
      "  </table>",
      `  <p class="note">${e(c.note)}</p>`,
      `  <footer>Questions about this invoice: ${e(doc.seller.email)}</footer>`,
    ],
  });
}
