import type { Doc } from "./pdf-page.ts";

// The structure tree of a tagged PDF (PDF/UA's "logical structure"), so a screen reader reads a document as
// its reader sees it: headings, paragraphs, the line table as a table. pdfkit keeps the tree; these helpers
// wrap what is drawn in the element it belongs to, and mark what only decorates (rules, the footers, a
// heading row repeated on a continued page) as an artifact, which readers skip. Marking changes no pixel:
// it only adds BDC/EMC operators around the drawing.

export type Element = PDFKit.PDFStructureElement;

/** Each document's root element ("Document"), under which every other element goes. */
const roots = new WeakMap<Doc, Element>();

/** Opens the document's structure tree; newPdf calls it once. */
export function startStructure(pdf: Doc): void {
  const root = pdf.struct("Document");
  pdf.addStructure(root);
  roots.set(pdf, root);
}

/** The document's root element. */
export function rootOf(pdf: Doc): Element {
  const root = roots.get(pdf);
  if (root === undefined) throw new Error("a PDF drawn by tokenbill has a structure tree (newPdf)");
  return root;
}

/** A grouping element (Table, TR, Sect) added under `parent`; end it once its last child is added. */
export function group(pdf: Doc, parent: Element, type: "Table" | "TR" | "Sect"): Element {
  const element = pdf.struct(type);
  parent.add(element);
  return element;
}

/**
 * Draws with `draw` inside a new element of `type` under `parent` and returns what `draw` returns (a height).
 * `scope` makes a table heading cell say whether it heads its column or its row.
 */
export function tagged<T>(
  pdf: Doc,
  parent: Element,
  type: "H1" | "H2" | "P" | "TH" | "TD",
  draw: () => T,
  scope?: "Column" | "Row",
): T {
  let result: T | undefined;
  // pdfkit's typings leave out `scope` (PDF's /A << /O /Table /Scope … >>), which it writes.
  const options = (scope === undefined ? {} : { scope }) as PDFKit.Mixins.StructureElementOptions;
  const element = pdf.struct(type, options);
  parent.add(element);
  // A closure added to an element in the tree is drawn at once, marked as that element's content.
  element.add(() => {
    result = draw();
  });
  element.end();
  return result as T;
}

/** Draws with `draw` inside a new heading or paragraph at the top level of the document. */
export function block<T>(pdf: Doc, type: "H1" | "H2" | "P", draw: () => T): T {
  return tagged(pdf, rootOf(pdf), type, draw);
}

/**
 * A row of label and value (an invoice's "Due date 2026-11-15", a totals row) under `table`: the label heads
 * its row (TH, scope Row), so a reader says which figure is which. Returns both drawn heights.
 */
export function labelledRow(
  pdf: Doc,
  table: Element,
  drawLabel: () => number,
  drawValue: () => number,
): { label: number; value: number } {
  const tr = group(pdf, table, "TR");
  const label = tagged(pdf, tr, "TH", drawLabel, "Row");
  const value = tagged(pdf, tr, "TD", drawValue);
  tr.end();
  return { label, value };
}

/** Draws with `draw` as an artifact: decoration (a rule) or pagination (a footer, a repeated heading row). */
export function artifact<T>(pdf: Doc, type: "Layout" | "Pagination", draw: () => T): T {
  pdf.markContent("Artifact", { type });
  try {
    return draw();
  } finally {
    pdf.endMarkedContent();
  }
}
