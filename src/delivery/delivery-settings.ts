import type { Config } from "../config.ts";
import type { SmtpSettings } from "../billing/documents/invoice-mail.ts";
import type { InvoiceDocument } from "../billing/documents/invoice-document.ts";

/** The seller block every rendering shows, from SELLER_* (docs/configuration.md). */
export function sellerOf(config: Config): InvoiceDocument["seller"] {
  return {
    name: config.SELLER_NAME,
    addressLines: [...config.SELLER_ADDRESS],
    // Without SELLER_EMAIL, answers go where the mail came from.
    email: config.SELLER_EMAIL ?? addressOf(config.MAIL_FROM),
    ...(config.SELLER_TAX_ID === undefined ? {} : { taxId: config.SELLER_TAX_ID }),
  };
}

/** SMTP settings, or undefined when SMTP_HOST is unset (invoices are then not e-mailed). */
export function smtpSettingsOf(config: Config): SmtpSettings | undefined {
  if (config.SMTP_HOST === undefined) return undefined;
  return {
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    secure: config.SMTP_SECURE,
    requireTLS: config.SMTP_REQUIRE_TLS,
    ...(config.SMTP_USER === undefined ? {} : { user: config.SMTP_USER }),
    ...(config.SMTP_PASSWORD === undefined ? {} : { password: config.SMTP_PASSWORD }),
  };
}

/** "Example Billing <billing@example.test>" → "billing@example.test"; a bare address stays as it is. */
function addressOf(mailbox: string): string {
  return /<([^<>]+)>\s*$/.exec(mailbox)?.[1]?.trim() ?? mailbox.trim();
}
