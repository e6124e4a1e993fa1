import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { Database } from "../db/schema.ts";
import { webhookHeaders } from "../billing/documents/webhook-signature.ts";
import type { InvoiceWebhookPayload } from "../jobs/job-payloads.ts";
import { type JobHandler, PermanentJobError } from "../jobs/job-runner.ts";
import { endpointOf, INVOICE_WEBHOOK_JOB, invoiceForJob } from "./invoice-jobs.ts";
import { postWebhook } from "./post-webhook.ts";
import { webhookBody } from "./webhook-body.ts";

/**
 * `invoice.webhook`: one signed POST per attempt (docs/webhooks.md). The delivery id is the job's, so it
 * is the same on every retry; the signature is made at each attempt, so its timestamp is always fresh.
 */
export function invoiceWebhookHandler(deps: {
  db: Kysely<Database>;
  config: Config;
  logger: Logger;
  /** The signing clock; the real one outside tests. */
  now?: () => Date;
  timeoutMs?: number;
}): JobHandler<InvoiceWebhookPayload> {
  const now = deps.now ?? (() => new Date());
  return async (job) => {
    const p = job.payload;
    const endpoint = endpointOf(p.url);
    const secret = deps.config.WEBHOOK_SECRET;
    // An endpoint removed from WEBHOOK_URLS since the event is not called any more.
    if (secret === undefined || !deps.config.WEBHOOK_URLS.includes(p.url)) {
      throw new PermanentJobError(`webhook endpoint ${endpoint} is no longer configured`);
    }
    const invoice = await invoiceForJob(deps.db, p.invoice_id);
    const deliveryId = `dlv_${job.id}`;
    const body = webhookBody({ deliveryId, event: p.event, createdAt: p.created_at, invoice });
    const timestamp = Math.floor(now().getTime() / 1000);
    const headers = webhookHeaders({ secret, event: p.event, deliveryId, timestamp, body });
    const started = performance.now();
    const status = await postWebhook(p.url, {
      headers,
      body,
      ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
    });
    deps.logger.info(
      {
        job: String(job.id),
        kind: INVOICE_WEBHOOK_JOB,
        delivery: deliveryId,
        event: p.event,
        invoice: invoice.id,
        endpoint,
        status,
        attempt: job.attempts,
        durationMs: Math.round(performance.now() - started),
      },
      "webhook delivered",
    );
  };
}
