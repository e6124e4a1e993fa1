// The layout of the customer documents that are not invoices — credit notes and statements: a heading
// with facts, the customer, one table, totals and notes. Their content modules (credit-note-content.ts,
// statement-content.ts) fill it with finished text; render-simple-html.ts and render-simple-pdf.ts draw it,
// so both renderings of a document always say the same thing.

/** A table column; in the PDF each is as wide as what it holds, and the one that `wraps` takes the rest. */
export interface SimpleColumn {
  label: string;
  numeric?: boolean;
  /** Free text (a reference, a description): as wide as the others leave, wrapped within itself (the PDF's). */
  wraps?: boolean;
}

export interface SimpleLayout {
  /** "Credit note", "Statement": the big heading. */
  heading: string;
  /** "Credit note CN-2026-000001": the document title (HTML <title>, PDF metadata, footers). */
  title: string;
  subject: string;
  /** The PDF's CreationDate: derived from the document, so the same document gives the same bytes. */
  createdAt: Date;
  seller: { name: string; lines: string[]; email: string };
  facts: { label: string; value: string }[];
  partyHeading: string;
  party: { name: string; lines: string[] };
  columns: SimpleColumn[];
  rows: string[][];
  /** Shown in place of rows when there are none. */
  empty: string;
  totals: { label: string; value: string; strong?: boolean }[];
  notes: string[];
}
