import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { Database } from "../db/schema.ts";
import { webhookHeaders } from "../billing/documents/webhook-signature.ts";
import type { InvoiceWebhookPayload } from "../jobs/job-payloads.ts";
import { type JobHandler, PermanentJobError } from "../jobs/job-runner.ts";
import { eventRecordsOf } from "./event-records.ts";
import { eventSubjectOf } from "./event-subject.ts";
import { endpointOf, INVOICE_WEBHOOK_JOB, invoiceForJob } from "./invoice-jobs.ts";
import { postWebhook } from "./post-webhook.ts";
import { webhookBody } from "./webhook-body.ts";

/**
 * `invoice.webhook`: one POST per attempt, signed as Standard Webhooks (docs/webhooks.md). The webhook-id is
 * the job's — one job per event and endpoint — so it is the same on every retry; the signature is made at
 * each attempt, so its timestamp is always fresh. The invoice, and the payment, refund or credit note the
 * event names, are read when the job runs.
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
  return async (job, run) => {
    const p = job.payload;
    const endpoint = endpointOf(p.url);
    const secret = deps.config.WEBHOOK_SECRET;
    // An endpoint removed from WEBHOOK_URLS since the event is not called any more.
    if (secret === undefined || !deps.config.WEBHOOK_URLS.includes(p.url)) {
      throw new PermanentJobError(`webhook endpoint ${endpoint} is no longer configured`);
    }
    const invoice = await invoiceForJob(deps.db, p.invoice_id);
    const records = await eventRecordsOf(deps.db, await eventSubjectOf(deps.db, job));
    const webhookId = `dlv_${job.id}`;
    const body = webhookBody({
      webhookId,
      event: p.event,
      createdAt: p.created_at,
      invoice,
      records,
    });
    const timestamp = Math.floor(now().getTime() / 1000);
    const headers = webhookHeaders({ secret, webhookId, timestamp, body });
    const started = performance.now();
    const status = await postWebhook(p.url, {
      headers,
      body,
      ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
      ...(run ? { signal: run.signal } : {}),
    });
    deps.logger.info(
      {
        job: String(job.id),
        kind: INVOICE_WEBHOOK_JOB,
        delivery: webhookId,
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
