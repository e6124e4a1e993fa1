import { describe, expect, it } from "vitest";
import { workedExampleStatement } from "./fixtures/money-in-documents.ts";
import { ROWS_BETWEEN_TURNS } from "./pdf-table.ts";
import { renderStatementPdf } from "./render-statement.ts";

// serve draws PDFs in the thread that answers GetTokenPricing; a long table gives the event loop a turn every
// ROWS_BETWEEN_TURNS rows instead of holding it for the whole document (QA, 2026-12-06: 2–3 s for a statement
// of 1,000 entries). Counted in turns, not time: a callback queued with setImmediate runs at each of them.

describe("a long PDF table", () => {
  it("lets the event loop turn while it is drawn", async () => {
    const entry = workedExampleStatement.entries[0]!;
    const rows = 10 * ROWS_BETWEEN_TURNS;
    const entries = Array.from({ length: rows }, (_, i) => ({ ...entry, reference: `INV-${i}` }));
    let turns = 0;
    let drawing = true;
    const tick = () => {
      if (!drawing) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const pdf = await renderStatementPdf({ ...workedExampleStatement, entries });
    drawing = false;
    expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    // One turn between each ROWS_BETWEEN_TURNS rows at least; without them the document is drawn in one go
    // and only the stream's end gives a turn or two.
    expect(turns).toBeGreaterThanOrEqual(rows / ROWS_BETWEEN_TURNS - 1);
  });
});
