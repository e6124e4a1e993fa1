import { createTransport } from "nodemailer";
import { formatMinorNamed } from "../../domain/money.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { escapeHtml } from "./html-escape.ts";
import type { InvoiceDocument } from "./invoice-document.ts";

/** Any e-mail tokenbill sends: invoices and credit notes (with their PDF), dunning, portal links. */
export interface OutgoingEmail {
  to: { name: string; address: string } | string; // an address object, so nodemailer quotes the name safely
  from: string;
  replyTo?: string; // the seller's billing address, for answers to a no-reply sender
  subject: string;
  text: string;
  html?: string;
  attachments?: { filename: string; content: Buffer; contentType: string }[];
}

export interface InvoiceEmail extends OutgoingEmail {
  to: { name: string; address: string };
  replyTo: string;
  html: string;
  attachments: [{ filename: string; content: Buffer; contentType: "application/pdf" }];
}

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean; // true: TLS from the first byte (port 465); false: STARTTLS when the server offers it
  /** With secure false: STARTTLS or nothing; a server that does not offer it gets no message (SMTP_REQUIRE_TLS). */
  requireTLS?: boolean;
  user?: string;
  password?: string;
}

/** The customer's e-mail for a finalized (partially paid, or paid) invoice, its PDF attached. */
export function buildInvoiceEmail(doc: InvoiceDocument, pdf: Buffer, from: string): InvoiceEmail {
  if (doc.status === "draft" || doc.status === "void") {
    // A draft may still change and a void invoice asks for nothing: neither goes to a customer.
    throw ServiceError.validation(
      "status",
      `only finalized, partially paid or paid invoices are e-mailed (got ${doc.status})`,
    );
  }
  // Part paid or credited already (billing-rules §7): the mail asks for what is left, not the total;
  // a receipt names the total that was paid.
  const asked = doc.status === "paid" ? doc.total : (doc.amountDue ?? doc.total);
  // Named by its ISO code when the currency has no prefix or suffix ("10.20 CHF"), in the subject and the
  // body alike: both are read without the PDF (until 2026-12-06 the body said a bare "10.20").
  const total = formatMinorNamed(asked, doc.currency);
  const subject =
    doc.status === "paid"
      ? `Receipt for invoice ${doc.number} from ${doc.seller.name}`
      : `Invoice ${doc.number} from ${doc.seller.name}: ${total} due ${doc.dueDate}`;
  const request =
    doc.status === "paid"
      ? `Invoice ${doc.number} for ${doc.period} (${total}) has been paid. Thank you.`
      : `Please find attached invoice ${doc.number} for ${doc.period}: ${total}, due ${doc.dueDate}.`;
  const paragraphs = [
    `Dear ${doc.customer.name},`,
    request,
    `Questions about this invoice: ${doc.seller.email}`,
    doc.seller.name,
  ];
  return {
    to: { name: doc.customer.name, address: doc.customer.email },
    from,
    replyTo: doc.seller.email,
    subject: oneLine(subject),
    text: `${paragraphs.join("\n\n")}\n`,
    html: `${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("\n")}\n`,
    attachments: [{ filename: pdfFilename(doc.number), content: pdf, contentType: "application/pdf" }],
  };
}

/** Sends one message and closes the connection; failures become UPSTREAM_UNAVAILABLE so a job can retry. */
export async function sendMail(smtp: SmtpSettings, message: OutgoingEmail): Promise<{ messageId: string }> {
  const transport = createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.requireTLS ?? false,
    auth: smtp.user === undefined ? undefined : { user: smtp.user, pass: smtp.password ?? "" },
    // A silent server must not hold a job forever.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    logger: false, // nodemailer's own log would print the AUTH exchange
  });
  try {
    const info = await transport.sendMail(message);
    return { messageId: String(info.messageId) };
  } catch (e) {
    const error = new ServiceError(
      "UPSTREAM_UNAVAILABLE",
      `SMTP delivery via ${smtp.host}:${smtp.port} failed: ${redact(errorText(e), smtp.password)}`,
    );
    // 550–554: the mailbox or message is refused for good; sending again cannot help (the job runner
    // reads `retryable`). Everything else — down, busy, 4xx, a login to fix — is worth another try.
    const code = (e as { responseCode?: unknown }).responseCode;
    throw Object.assign(error, { retryable: !(typeof code === "number" && code >= 550 && code <= 554) });
  } finally {
    transport.close();
  }
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, " ");
}

/** "INV-2026-000001" → "INV-2026-000001.pdf"; anything outside [A-Za-z0-9._-] becomes "_". */
export function pdfFilename(number: string): string {
  return `${(number === "" ? "invoice" : number).replace(/[^A-Za-z0-9._-]/g, "_")}.pdf`;
}

function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { responseCode?: unknown }).responseCode;
  return typeof code === "number" ? `${e.message} (SMTP ${code})` : e.message;
}

// Defence in depth: no nodemailer message is known to echo the password, but this one never can.
function redact(text: string, password: string | undefined): string {
  return password === undefined || password === "" ? text : text.split(password).join("***");
}
