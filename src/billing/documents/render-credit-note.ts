import type { CreditNoteDocument } from "./credit-note-document.ts";
import { creditNoteLayout } from "./credit-note-content.ts";
import { renderSimpleHtml } from "./render-simple-html.ts";
import { renderSimplePdf } from "./render-simple-pdf.ts";
import { pdfFonts } from "./pdf-fonts.ts";
import { printableCurrency } from "./pdf-text.ts";

export function renderCreditNoteHtml(doc: CreditNoteDocument): string {
  return renderSimpleHtml(creditNoteLayout(doc));
}

/** A currency symbol the PDF's font lacks ("₼") is written as the code ("AZN "), as on the invoice. */
export function renderCreditNotePdf(doc: CreditNoteDocument, fonts = pdfFonts()): Promise<Buffer> {
  return renderSimplePdf(creditNoteLayout(doc, printableCurrency(doc.currency, fonts)), fonts);
}
