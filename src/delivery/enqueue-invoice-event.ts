import { createHash } from "node:crypto";
import type { Config } from "../config.ts";
import type { WebhookEvent } from "../invoicing/webhook-signature.ts";
import { enqueueJobs, type NewJob } from "../jobs/enqueue-job.ts";
import type { Tx } from "../services/context.ts";
import {
  INVOICE_EMAIL_JOB,
  INVOICE_WEBHOOK_JOB,
  type InvoiceEmailPayload,
  type InvoiceWebhookPayload,
} from "./invoice-jobs.ts";

/**
 * The one place that decides what an invoice event sends: the customer's e-mail (finalized only, when
 * SMTP_HOST is set) and one webhook per WEBHOOK_URLS entry. Call it inside the transaction of the change
 * (outbox), so a rolled-back finalization or payment sends nothing. Returns how many jobs it wrote.
 */
export async function enqueueInvoiceEvent(
  trx: Tx,
  config: Pick<Config, "SMTP_HOST" | "WEBHOOK_URLS">,
  input: { event: WebhookEvent; invoiceIds: readonly string[]; at: Date },
): Promise<number> {
  const jobs: NewJob[] = [];
  const createdAt = input.at.toISOString();
  for (const invoiceId of input.invoiceIds) {
    if (input.event === "invoice.finalized" && config.SMTP_HOST !== undefined) {
      const payload: InvoiceEmailPayload = { invoice_id: invoiceId };
      jobs.push({ kind: INVOICE_EMAIL_JOB, payload });
    }
    for (const url of config.WEBHOOK_URLS) {
      const payload: InvoiceWebhookPayload = {
        invoice_id: invoiceId,
        event: input.event,
        url,
        created_at: createdAt,
      };
      // One key per invoice and endpoint: that endpoint hears `finalized` before `paid`, while a slow or
      // failing endpoint holds up nobody else.
      jobs.push({ kind: INVOICE_WEBHOOK_JOB, orderingKey: `webhook:${invoiceId}:${urlKey(url)}`, payload });
    }
  }
  await enqueueJobs(trx, jobs);
  return jobs.length;
}

// A short stable digest instead of the URL itself, so ordering keys stay small and hold no URL tokens.
function urlKey(url: string): string {
  return createHash("sha256").update(url).digest("hex").slice(0, 16);
}
