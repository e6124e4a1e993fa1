import { sendMail } from "../../billing/documents/invoice-mail.ts";
import type { Logger } from "pino";
import type { Config } from "../../config.ts";
import { smtpSettingsOf } from "../../delivery/delivery-settings.ts";

// How the portal's links reach a customer: over the SMTP settings invoices use (docs/configuration.md), from
// the `portal.link_email` job (portal-link-mail.ts). A failed send throws (UPSTREAM_UNAVAILABLE, no link in
// the message), so the job runner retries it. Without SMTP, the sandbox writes the message to the log, as
// its customers are made up and the newcomer has no other way to click the link; outside the sandbox the
// link is never logged (it is a login): the log says only that no message was sent.

export interface PortalMessage {
  to: string;
  subject: string;
  text: string;
}

export interface PortalMailer {
  send(message: PortalMessage): Promise<void>;
}

export function portalMailer(config: Config, logger: Logger, options: { sandbox: boolean }): PortalMailer {
  const smtp = smtpSettingsOf(config);
  if (smtp) {
    return {
      send: async (message) => {
        await sendMail(smtp, { from: config.MAIL_FROM, ...message });
      },
    };
  }
  if (options.sandbox) {
    return {
      send: async (message) => {
        logger.info(`SANDBOX MAIL (no SMTP_HOST) to ${message.to}: ${message.subject}\n${message.text}`);
      },
    };
  }
  return {
    send: async (message) => {
      logger.warn({ subject: message.subject }, "portal e-mail not sent: SMTP_HOST is not set");
    },
  };
}
