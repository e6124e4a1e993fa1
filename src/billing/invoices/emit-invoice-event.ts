import { enqueueAll, type NewJob } from "../../jobs/enqueue-job.ts";
import type { Tx } from "../../kernel/context.ts";
import type { InvoiceEvent } from "./invoice-events.ts";

/** What a money-in event names besides its invoice (billing-rules §7). */
export interface InvoiceEventSubject {
  payment_id?: string;
  refund_id?: string;
  credit_note_id?: string;
}

/**
 * Announces what happened to invoices: one `invoice.event` job per invoice, written in the caller's
 * transaction (outbox), so a rolled-back finalization or payment announces nothing. What an event sends
 * (e-mail, webhooks) is decided when its job runs, by delivery. One multi-row insert per thousand invoices.
 * `subject` names the payment, refund or credit note the event is about, on every job of the call.
 */
export async function emitInvoiceEvents(trx: Tx, input: InvoiceEventsInput): Promise<void> {
  await enqueueAll(trx, invoiceEventJobs(input));
}

export interface InvoiceEventsInput {
  event: InvoiceEvent;
  invoiceIds: readonly string[];
  at: Date;
  subject?: InvoiceEventSubject;
}

/** The jobs emitInvoiceEvents writes (a statement that writes several tables uses them). */
export function invoiceEventJobs(input: InvoiceEventsInput): NewJob[] {
  const at = input.at.toISOString();
  return input.invoiceIds.map((id) => ({
    kind: "invoice.event",
    payload: { invoice_id: id, event: input.event, at, ...input.subject },
    // An invoice's events are handled in the order they happened: `finalized` before `paid`.
    orderingKey: `invoice:${id}`,
  }));
}
