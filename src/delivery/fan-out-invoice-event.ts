import { createHash } from "node:crypto";
import type { InvoiceEvent } from "../billing/invoices/invoice-events.ts";
import type { Config } from "../config.ts";
import { enqueueAll, type NewJob } from "../jobs/enqueue-job.ts";
import type { Tx } from "../kernel/context.ts";
import type { EventSubject } from "./event-subject.ts";
import { INVOICE_EMAIL_JOB, INVOICE_WEBHOOK_JOB } from "./invoice-jobs.ts";

/**
 * Events that send the customer an e-mail (when SMTP_HOST is set): a finalized invoice, and an issued
 * credit note (the handler mails the note, read from the event). Payments and refunds send none — the
 * invoice's status and the statement show them, webhooks announce them, and dunning (§8) writes its own
 * reminders; a receipt per payment would double what a provider such as Stripe already mails.
 */
const MAILED_EVENTS: ReadonlySet<InvoiceEvent> = new Set(["invoice.finalized", "credit_note.issued"]);

/**
 * The one place that decides what an invoice event sends: the customer's e-mail (MAILED_EVENTS, when
 * SMTP_HOST is set) and one webhook per WEBHOOK_URLS entry, for every event. The `invoice.event` job calls
 * it when it runs (invoice-event-handler.ts). Returns how many jobs the event sends.
 */
export async function fanOutInvoiceEvent(
  trx: Tx,
  config: Pick<Config, "SMTP_HOST" | "WEBHOOK_URLS">,
  input: {
    event: InvoiceEvent;
    invoiceIds: readonly string[];
    at: Date;
    /**
     * The `invoice.event` job being fanned out. Each job written is named after it (its slot), so a fan-out
     * repeated after a crash, before the event job was marked done, writes nothing new.
     */
    eventJobId?: bigint;
    /** The payment, refund or credit note the event names; each job carries it (it outlives the event job). */
    ids?: Omit<EventSubject, "event">;
  },
): Promise<number> {
  const jobs: NewJob[] = [];
  const subject: EventSubject = { event: input.event, ...input.ids };
  const createdAt = input.at.toISOString();
  const slot = (what: string) =>
    input.eventJobId === undefined ? {} : { slot: `invoice.event:${input.eventJobId}:${what}` };
  for (const invoiceId of input.invoiceIds) {
    if (MAILED_EVENTS.has(input.event) && config.SMTP_HOST !== undefined) {
      jobs.push({
        kind: INVOICE_EMAIL_JOB,
        payload: { invoice_id: invoiceId, subject },
        ...slot(`${invoiceId}:email`),
      });
    }
    for (const url of config.WEBHOOK_URLS) {
      const endpoint = urlKey(url);
      jobs.push({
        kind: INVOICE_WEBHOOK_JOB,
        payload: { invoice_id: invoiceId, event: input.event, url, created_at: createdAt, subject },
        // One key per invoice and endpoint: that endpoint hears `finalized` before `paid`, while a slow or
        // failing endpoint holds up nobody else.
        orderingKey: `webhook:${invoiceId}:${endpoint}`,
        ...slot(`${invoiceId}:webhook:${endpoint}`),
      });
    }
  }
  await enqueueAll(trx, jobs);
  return jobs.length;
}

// A short stable digest instead of the URL itself, so ordering keys stay small and hold no URL tokens.
function urlKey(url: string): string {
  return createHash("sha256").update(url).digest("hex").slice(0, 16);
}
