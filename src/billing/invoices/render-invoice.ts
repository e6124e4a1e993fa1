import { pdfFontsFor } from "../documents/pdf-fonts.ts";
import { readInvoice } from "./get-invoice.ts";
import { invoiceCreditedAmount } from "../ledger/ledger.ts";
import { invoiceCreditNoteSettlements } from "../credit-notes/credit-note-settlements.ts";
import { invoiceDocumentOf } from "./invoice-document-of.ts";
import { replacedInvoiceNumbers } from "./replaced-invoices.ts";
import type { Invoice } from "./invoice-schemas.ts";
import { addDays, calendarDate } from "../runs/calendar-date.ts";
import type { Config } from "../../config.ts";
import type { InvoiceDocument } from "../documents/invoice-document.ts";
import { renderInvoiceHtml } from "../documents/render-invoice-html.ts";
import { renderInvoicePdf } from "../documents/render-invoice-pdf.ts";
import type { VerbArgs } from "../../kernel/context.ts";
import { sellerOf } from "../../delivery/delivery-settings.ts";
import { customerScope } from "../../kernel/actor.ts";
import { requireReadAccess } from "../../services/staff/staff-roles.ts";

export type InvoiceFormat = "html" | "pdf";

/** One invoice as an HTML page (string) or a PDF (Buffer); drafts too, which the renderers mark DRAFT. */
export async function renderInvoice({
  ctx,
  input,
}: VerbArgs<{ id: string; format: InvoiceFormat }>): Promise<string | Buffer> {
  await requireReadAccess(ctx);
  const invoice = await readInvoice(ctx.db, input.id);
  // A customer renders only its own invoices (another's is NOT_FOUND, as getInvoice answers).
  customerScope(ctx.actor, BigInt(invoice.customer_id));
  const doc = documentForRendering(
    invoice,
    ctx.config,
    ctx.now(),
    await replacedInvoiceNumbers(ctx.db, invoice),
    await invoiceCreditedAmount(ctx.db, invoice.id),
    await invoiceCreditNoteSettlements(ctx.db, invoice.id),
  );
  return input.format === "html" ? renderInvoiceHtml(doc) : renderInvoicePdf(doc, pdfFontsFor(ctx.config));
}

/**
 * The view model of any invoice. A draft (or a voided draft) has no number or dates yet (billing-rules
 * §5): its preview shows "(not yet numbered)" and the dates it would get if finalized at `now`.
 */
export function documentForRendering(
  invoice: Invoice,
  config: Config,
  now: Date,
  replaces: readonly string[] = [],
  credited = 0n,
  creditNotes?: InvoiceDocument["creditNotes"],
): InvoiceDocument {
  if (invoice.number !== null)
    return invoiceDocumentOf(invoice, sellerOf(config), replaces, credited, creditNotes);
  const issueDate = calendarDate(now, config.BILLING_TIME_ZONE);
  const preview = {
    ...invoice,
    number: "",
    issue_date: issueDate,
    due_date: addDays(issueDate, config.PAYMENT_TERMS_DAYS),
  };
  return invoiceDocumentOf(preview, sellerOf(config), replaces);
}
