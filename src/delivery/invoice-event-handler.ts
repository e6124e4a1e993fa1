import type { Kysely } from "kysely";
import type { Config } from "../config.ts";
import type { Database } from "../db/schema.ts";
import type { InvoiceEventPayload } from "../jobs/job-payloads.ts";
import type { JobHandler } from "../jobs/job-runner.ts";
import { fanOutInvoiceEvent } from "./fan-out-invoice-event.ts";

/**
 * `invoice.event`: what billing announced (finalized, paid) becomes the e-mail and webhook jobs it sends.
 * Events of one invoice share an ordering key (emit-invoice-event.ts), so they fan out in order and each
 * endpoint's `finalized` job comes before its `paid` job.
 */
export function invoiceEventHandler(deps: {
  db: Kysely<Database>;
  config: Config;
}): JobHandler<InvoiceEventPayload> {
  return async (job) => {
    const { invoice_id, event, at, ...ids } = job.payload;
    await fanOutInvoiceEvent(deps.db, deps.config, {
      event,
      invoiceIds: [invoice_id],
      at: new Date(at),
      eventJobId: job.id,
      ids,
    });
  };
}
