import { pdfFontsFor } from "../billing/documents/pdf-fonts.ts";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { replacedInvoiceNumbers } from "../billing/invoices/replaced-invoices.ts";
import { invoiceDocumentOf } from "../billing/invoices/invoice-document-of.ts";
import { invoiceCreditedAmount } from "../billing/ledger/ledger.ts";
import { invoiceCreditNoteSettlements } from "../billing/credit-notes/credit-note-settlements.ts";
import type { Config } from "../config.ts";
import type { Database } from "../db/schema.ts";
import { buildInvoiceEmail, type SmtpSettings, sendMail } from "../billing/documents/invoice-mail.ts";
import { renderInvoicePdf } from "../billing/documents/render-invoice-pdf.ts";
import type { InvoiceEmailPayload } from "../jobs/job-payloads.ts";
import { type JobHandler, PermanentJobError } from "../jobs/job-runner.ts";
import type { CreditNoteDocument } from "../billing/documents/credit-note-document.ts";
import { buildCreditNoteEmail } from "../billing/documents/credit-note-mail.ts";
import { renderCreditNotePdf } from "../billing/documents/render-credit-note.ts";
import { creditNoteDocumentOf } from "../billing/statements/credit-note-document-of.ts";
import { ServiceError } from "../kernel/errors.ts";
import { sellerOf } from "./delivery-settings.ts";
import { eventSubjectOf } from "./event-subject.ts";
import { INVOICE_EMAIL_JOB, invoiceForJob } from "./invoice-jobs.ts";

/**
 * `invoice.email`: the customer's invoice with its PDF, over SMTP — or, when the event it was fanned out
 * from is `credit_note.issued`, that credit note with its PDF (fan-out-invoice-event.ts decides which
 * events mail anything). sendMail's failures (server down, busy) are UPSTREAM_UNAVAILABLE and retried
 * with backoff; a recipient refused for good (550–554) is not.
 */
export function invoiceEmailHandler(deps: {
  db: Kysely<Database>;
  config: Config;
  logger: Logger;
  smtp: SmtpSettings;
}): JobHandler<InvoiceEmailPayload> {
  return async (job, run) => {
    const { invoice_id } = job.payload;
    const invoice = await invoiceForJob(deps.db, invoice_id);
    const log = { job: String(job.id), kind: INVOICE_EMAIL_JOB, invoice: invoice.id };
    const subject = await eventSubjectOf(deps.db, job);
    if (subject?.event === "credit_note.issued") {
      await mailCreditNote(deps, subject.credit_note_id, log, run?.signal);
      return;
    }
    if (invoice.status === "draft" || invoice.status === "void") {
      // Voided before the mail went out: it asks for nothing any more, so nothing is sent.
      deps.logger.info({ ...log, status: invoice.status }, "invoice not e-mailed: it is no longer payable");
      return;
    }
    const doc = invoiceDocumentOf(
      invoice,
      sellerOf(deps.config),
      await replacedInvoiceNumbers(deps.db, invoice),
      await invoiceCreditedAmount(deps.db, invoice.id),
      await invoiceCreditNoteSettlements(deps.db, invoice.id),
    );
    const message = buildInvoiceEmail(
      doc,
      await renderInvoicePdf(doc, pdfFontsFor(deps.config)),
      deps.config.MAIL_FROM,
    );
    // Given up on by the runner (a stop's grace, a timeout) while rendering: the next attempt sends it. A send
    // under way is not stopped (SMTP cannot take a message back).
    run?.signal.throwIfAborted();
    const { messageId } = await sendMail(deps.smtp, message);
    deps.logger.info({ ...log, number: doc.number, messageId }, "invoice e-mailed");
  };
}

async function mailCreditNote(
  deps: { db: Kysely<Database>; config: Config; logger: Logger; smtp: SmtpSettings },
  creditNoteId: string | undefined,
  log: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (creditNoteId === undefined) throw new PermanentJobError("credit_note.issued names no credit note");
  let doc: CreditNoteDocument;
  try {
    doc = await creditNoteDocumentOf(deps.db, creditNoteId, sellerOf(deps.config));
  } catch (e) {
    if (e instanceof ServiceError && e.code === "NOT_FOUND") throw new PermanentJobError(e.message);
    throw e;
  }
  const message = buildCreditNoteEmail(
    doc,
    await renderCreditNotePdf(doc, pdfFontsFor(deps.config)),
    deps.config.MAIL_FROM,
  );
  signal?.throwIfAborted();
  const { messageId } = await sendMail(deps.smtp, message);
  deps.logger.info(
    { ...log, creditNote: creditNoteId, number: doc.number, messageId },
    "credit note e-mailed",
  );
}
