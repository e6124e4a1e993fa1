import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { Database } from "../db/schema.ts";
import type { JobHandler } from "../jobs/job-runner.ts";
import { smtpSettingsOf } from "./delivery-settings.ts";
import { invoiceEmailHandler } from "./invoice-email-handler.ts";
import { INVOICE_EMAIL_JOB, INVOICE_WEBHOOK_JOB } from "./invoice-jobs.ts";
import { invoiceWebhookHandler } from "./invoice-webhook-handler.ts";

/**
 * The delivery kinds for the job catalog. A kind is handled only while it is configured: e-mail jobs wait
 * in the outbox while SMTP_HOST is unset, and webhook jobs while no WEBHOOK_URLS are.
 */
export function deliveryHandlers(deps: {
  db: Kysely<Database>;
  config: Config;
  logger: Logger;
}): Record<string, JobHandler> {
  const handlers: Record<string, JobHandler> = {};
  const smtp = smtpSettingsOf(deps.config);
  if (smtp !== undefined) handlers[INVOICE_EMAIL_JOB] = invoiceEmailHandler({ ...deps, smtp });
  if (deps.config.WEBHOOK_URLS.length > 0) handlers[INVOICE_WEBHOOK_JOB] = invoiceWebhookHandler(deps);
  return handlers;
}
