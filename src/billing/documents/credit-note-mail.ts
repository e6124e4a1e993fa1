import { formatMinorNamed } from "../../domain/money.ts";
import { creditNoteOutcome } from "./credit-note-content.ts";
import type { CreditNoteDocument } from "./credit-note-document.ts";
import { escapeHtml } from "./html-escape.ts";
import { type InvoiceEmail, pdfFilename } from "./invoice-mail.ts";

/** The customer's e-mail for an issued credit note, its PDF attached; sent with sendMail (invoice-mail.ts). */
export function buildCreditNoteEmail(doc: CreditNoteDocument, pdf: Buffer, from: string): InvoiceEmail {
  // Named as the subject names it (formatMinorNamed): a bare "1.08" says no currency.
  const total = formatMinorNamed(doc.total, doc.currency);
  // Where the amount went as the mail is made, the PDF's words (credit-note-content.ts), each figure named.
  const outcome = creditNoteOutcome(doc, (minor) => formatMinorNamed(minor, doc.currency));
  const paragraphs = [
    `Dear ${doc.customer.name},`,
    `Please find attached credit note ${doc.number} for ${total} on invoice ${doc.invoiceNumber}. ${outcome}`.trimEnd(),
    `Reason: ${doc.reason}`,
    `Questions about this credit note: ${doc.seller.email}`,
    doc.seller.name,
  ];
  return {
    to: { name: doc.customer.name, address: doc.customer.email },
    from,
    replyTo: doc.seller.email,
    // A reason typed with line breaks must not become extra header lines.
    subject:
      `Credit note ${doc.number} from ${doc.seller.name}: ${total} on invoice ${doc.invoiceNumber}`.replace(
        /[\r\n\t]+/g,
        " ",
      ),
    text: `${paragraphs.join("\n\n")}\n`,
    html: `${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("\n")}\n`,
    attachments: [{ filename: pdfFilename(doc.number), content: pdf, contentType: "application/pdf" }],
  };
}
