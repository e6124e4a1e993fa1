import { describe, expect, it } from "vitest";
import { workedExampleStatement } from "./fixtures/money-in-documents.ts";
import { statementRefundWords } from "./refund-method-words.ts";
import { newPdf, TABLE_SIZE, textWidth } from "./pdf-page.ts";
import { renderStatementPdf } from "./render-statement.ts";
import { statementReference } from "./statement-content.ts";
import type { StatementDocument, StatementEntry } from "./statement-document.ts";
import { pdfText } from "./testing/pdf-text.ts";

// The statement PDF's Reference column holds the longest text of a row: a payment's "(received …)" day, a
// refund's way back, a provider's id. Until 2026-12-07 it had a fixed 31% of the width, and such a reference
// wrapped onto two or three lines of its row beside wide columns of short dates and figures.

const refund = (method: string, sentBack = false) => ({
  method,
  words: statementRefundWords(method, sentBack),
});
// Until 2026-12-07 the Stripe id had no capital O: after render-invoice-pdf.test.ts's documents, in the same
// worker, pdftotext read one back as a space (every document shared the font's glyph cache; pdf-fonts.ts).
// Each document has glyphs of its own now, and pdf-text-layer.test.ts reads every letter back.
// The shapes tokenbill writes: a Stripe PaymentIntent id (pi_ and 24 characters), a refund id (ref_ and 24
// hex digits, timeOrderedId), and a payment reference at its longest (identifierText(200), payment-schemas.ts).
const stripePayment: StatementEntry = {
  date: "2026-12-03",
  kind: "payment",
  reference: "stripe pi_3QxYzAbCdEfGhIjKlMnOpQrS",
  received: "2026-11-28",
  amount: -1000n,
  balance: 34n,
};
const real: StatementEntry[] = [
  stripePayment,
  {
    date: "2026-12-04",
    kind: "refund",
    reference: "ref_0193a1b2c3d4e5f6a7b8c9d0",
    refund: refund("stripe"),
    amount: 500n,
    balance: 534n,
  },
  {
    date: "2026-12-05",
    kind: "refund",
    reference: "ref_0193a1b2c3d4e5f6a7b8c9d1",
    refund: refund("stripe", true),
    amount: -500n,
    balance: 34n,
  },
  {
    date: "2026-12-06",
    kind: "refund",
    reference: "ref_0193a1b2c3d4e5f6a7b8c9d2",
    refund: refund("bank_transfer"),
    amount: 2000n,
    balance: 2034n,
  },
];
const longest: StatementEntry = {
  date: "2026-12-07",
  kind: "payment",
  // No space to break at: the column breaks it where it must.
  reference: `bank_transfer ${"SEPA-2026-12-07/0123456789".repeat(8).slice(0, 200)}`,
  received: "2026-12-01",
  amount: -2034n,
  balance: 0n,
};
const statement: StatementDocument = {
  ...workedExampleStatement,
  entries: [...workedExampleStatement.entries, ...real, longest],
  balance: 0n,
};

/** The table's lines in `pdftotext -layout` text: its heading, then rows (a date first) and their wrapped parts. */
function tableOf(text: string) {
  const lines = text.split("\n");
  const headingAt = lines.findIndex((l) => /^\s*Date\s+Type\s+Reference\s+Amount\s+Balance$/.test(l));
  const end = lines.findIndex((l, i) => i > headingAt && l.trim() === "");
  return { heading: lines[headingAt]!, lines: lines.slice(headingAt + 1, end) };
}

/** The row whose reference starts with `reference`, and the lines its cells wrapped onto. */
function rowOf(table: ReturnType<typeof tableOf>, reference: string) {
  const at = table.lines.findIndex((l) => /^\d{4}-\d\d-\d\d /.test(l) && l.includes(reference.slice(0, 30)));
  expect(at, `${reference} in\n${table.lines.join("\n")}`).toBeGreaterThanOrEqual(0);
  const wrapped: string[] = [];
  for (const l of table.lines.slice(at + 1)) {
    if (/^\d{4}-\d\d-\d\d /.test(l)) break;
    wrapped.push(l);
  }
  return { line: table.lines[at]!, wrapped };
}

/** Where a row's amount and balance end (their right edges), in characters of the text. */
function figureEnds(line: string): [number, number] {
  const figures = /(-?\$[\d,.]+)(\s+)(-?\$[\d,.]+)$/.exec(line);
  if (!figures) throw new Error(`no amount and balance end ${JSON.stringify(line)}`);
  return [figures.index + figures[1]!.length, line.length];
}

describe("the statement PDF's Reference column", () => {
  it("holds a payment's received day and a refund's way back on their row's one line", async () => {
    const table = tableOf(await pdfText(await renderStatementPdf(statement)));
    for (const entry of [...workedExampleStatement.entries, ...real]) {
      const row = rowOf(table, entry.reference);
      expect(row.line).toContain(statementReference(entry));
      expect(row.wrapped, statementReference(entry)).toEqual([]);
    }
  });

  it("wraps the longest reference within its own column, the row's figures on its first line", async () => {
    const table = tableOf(await pdfText(await renderStatementPdf(statement)));
    const row = rowOf(table, longest.reference);
    expect(row.line).toMatch(/^2026-12-07\s+Payment\s+bank_transfer /);
    const [amountEnd] = figureEnds(row.line);
    const amountStart = row.line.lastIndexOf("-$20.34", amountEnd);
    const referenceStart = row.line.indexOf("bank_transfer");
    expect(row.wrapped.length).toBeGreaterThan(0);
    for (const part of row.wrapped) {
      // Under the reference (pdftotext places text on a grid of characters: one either way), and clear of
      // the figures' columns.
      expect(Math.abs(part.search(/\S/) - referenceStart), part).toBeLessThanOrEqual(1);
      expect(part.trimEnd().length, part).toBeLessThan(amountStart - 1);
    }
    // Nothing of it lost: the first line's part and the wrapped parts make the whole reference.
    const cell = [row.line.slice(referenceStart, amountStart), ...row.wrapped].join(" ");
    expect(cell.replace(/\s+/g, "")).toBe(statementReference(longest).replace(/\s+/g, ""));
  });

  it("keeps every row's amount and balance in line", async () => {
    const table = tableOf(await pdfText(await renderStatementPdf(statement)));
    const rows = table.lines.filter((l) => /^\d{4}-\d\d-\d\d /.test(l));
    expect(rows).toHaveLength(statement.entries.length);
    const ends = rows.map(figureEnds);
    // Right-aligned in the PDF; pdftotext places text on a grid of characters, so one either way.
    for (const column of [0, 1]) {
      const at = ends.map((e) => e[column]!);
      expect(Math.max(...at) - Math.min(...at), rows.join("\n")).toBeLessThanOrEqual(1);
    }
  });

  // fittedColumns measures a figure by its shape, every digit a 0: that holds while the table's font draws
  // each digit as wide as the others, unkerned, as DejaVu Sans Condensed does.
  it("measures figures by their shape: every digit is as wide as 0", () => {
    const pdf = newPdf({ title: "t", author: "a", subject: "s", createdAt: new Date(0) });
    const width = (text: string) => textWidth(pdf, text, { size: TABLE_SIZE });
    for (const figure of ["-$4,714.17", "Rp 2.197.800,00", "1.234,56 €", "¥1,171", "2026-11-28"])
      expect(width(figure), figure).toBe(width(figure.replace(/[0-9]/g, "0")));
  });
});
