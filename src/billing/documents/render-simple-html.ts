import { escapeHtml } from "./html-escape.ts";
import { htmlPage } from "./html-page.ts";
import type { SimpleLayout } from "./simple-layout.ts";

// Self-contained like the invoice page (inline CSS, no scripts or external assets); output depends on the
// layout only, never on a clock.

const STYLE = `
  @page { size: A4; margin: 16mm; }
  * { box-sizing: border-box; }
  body { margin: 0; color: #1f2328; background: #fff; font: 10.5pt/1.45 "Helvetica Neue", Helvetica, Arial, sans-serif; }
  main { max-width: 190mm; margin: 0 auto; padding: 12mm 0; }
  .top { display: flex; justify-content: space-between; gap: 12mm; align-items: flex-start; }
  .seller-name { font-size: 15pt; font-weight: 700; margin: 0 0 2mm; }
  p { margin: 0 0 2mm; }
  h1 { font-size: 22pt; margin: 0 0 3mm; text-align: right; letter-spacing: 0.04em; text-transform: uppercase; }
  h2 { font-size: 9pt; margin: 0 0 1mm; text-transform: uppercase; letter-spacing: 0.06em; color: #59636e; }
  .facts { display: grid; grid-template-columns: auto auto; gap: 0.5mm 5mm; margin: 0; }
  .facts dt { color: #59636e; text-align: right; }
  .facts dd { margin: 0; font-variant-numeric: tabular-nums; }
  .party { margin: 8mm 0 6mm; }
  .party .name { font-weight: 700; margin-bottom: 0.5mm; }
  .party, .facts dd { overflow-wrap: anywhere; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  .rows th { text-align: left; font-size: 9pt; color: #59636e; border-bottom: 1.5pt solid #1f2328; padding: 1.5mm 2mm; }
  .rows td { border-bottom: 0.5pt solid #d1d9e0; padding: 1.5mm 2mm; vertical-align: top; }
  .rows .num { text-align: right; white-space: nowrap; }
  .totals { width: auto; margin: 4mm 0 0 auto; min-width: 80mm; }
  .totals th { text-align: left; font-weight: 400; padding: 1mm 2mm; }
  .totals td { text-align: right; padding: 1mm 2mm; white-space: nowrap; }
  .totals .strong th, .totals .strong td { font-weight: 700; border-top: 1.5pt solid #1f2328; }
  .notes { margin-top: 8mm; }
  footer { margin-top: 10mm; color: #59636e; font-size: 9pt; }
`;

/** The document as one complete HTML page; every value is escaped. */
export function renderSimpleHtml(c: SimpleLayout): string {
  const e = escapeHtml;
  const numeric = c.columns.map((col) => col.numeric === true);
  const cell = (text: string, i: number): string =>
    numeric[i] ? `<td class="num">${e(text)}</td>` : `<td>${e(text)}</td>`;
  const head = c.columns
    .map((col) => `<th scope="col"${col.numeric ? ' class="num"' : ""}>${e(col.label)}</th>`)
    .join("");
  const rows =
    c.rows.length === 0
      ? [`<tr><td colspan="${c.columns.length}">${e(c.empty)}</td></tr>`]
      : c.rows.map((row) => `<tr>${row.map(cell).join("")}</tr>`);
  return htmlPage({
    title: `${c.title} · ${c.seller.name}`,
    style: STYLE,
    main: "<main>",
    body: [
      '  <header class="top">',
      "    <div>",
      `      <p class="seller-name">${e(c.seller.name)}</p>`,
      `      <p>${c.seller.lines.map(e).join("<br>")}</p>`,
      "    </div>",
      "    <div>",
      `      <h1>${e(c.heading)}</h1>`,
      '      <dl class="facts">',
      ...c.facts.map((f) => `        <dt>${e(f.label)}</dt><dd>${e(f.value)}</dd>`),
      "      </dl>",
      "    </div>",
      "  </header>",
      '  <section class="party">',
      `    <h2>${e(c.partyHeading)}</h2>`,
      `    <p class="name">${e(c.party.name)}</p>`,
      `    <p>${c.party.lines.map(e).join("<br>")}</p>`,
      "  </section>",
      '  <table class="rows">',
      `    <thead><tr>${head}</tr></thead>`,
      "    <tbody>",
      ...rows.map((r) => `      ${r}`),
      "    </tbody>",
      "  </table>",
      '  <table class="totals">',
      ...c.totals.map(
        (t) =>
          `    <tr${t.strong ? ' class="strong"' : ""}><th scope="row">${e(t.label)}</th><td>${e(t.value)}</td></tr>`,
      ),
      "  </table>",
      '  <section class="notes">',
      ...c.notes.map((n) => `    <p>${e(n)}</p>`),
      "  </section>",
      `  <footer>${e(c.seller.name)} · ${e(c.title)} · Questions: ${e(c.seller.email)}</footer>`,
    ],
  });
}
