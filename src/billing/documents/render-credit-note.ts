import type { CreditNoteDocument } from "./credit-note-document.ts";
import { creditNoteLayout } from "./credit-note-content.ts";
import { renderSimpleHtml } from "./render-simple-html.ts";
import { renderSimplePdf } from "./render-simple-pdf.ts";
import { winAnsiCurrency } from "./win-ansi.ts";

export function renderCreditNoteHtml(doc: CreditNoteDocument): string {
  return renderSimpleHtml(creditNoteLayout(doc));
}

/** The PDF's Helvetica encodes WinAnsi only: a symbol outside it ("₹") is written as the code ("INR "). */
export function renderCreditNotePdf(doc: CreditNoteDocument): Promise<Buffer> {
  return renderSimplePdf(creditNoteLayout(doc, winAnsiCurrency(doc.currency)));
}
