import { renderSimpleHtml } from "./render-simple-html.ts";
import { renderSimplePdf } from "./render-simple-pdf.ts";
import { statementLayout } from "./statement-content.ts";
import type { StatementDocument } from "./statement-document.ts";
import { pdfFonts } from "./pdf-fonts.ts";
import { printableCurrency } from "./pdf-text.ts";

export function renderStatementHtml(doc: StatementDocument): string {
  return renderSimpleHtml(statementLayout(doc));
}

export function renderStatementPdf(doc: StatementDocument, fonts = pdfFonts()): Promise<Buffer> {
  return renderSimplePdf(statementLayout(doc, printableCurrency(doc.currency, fonts)), fonts);
}
