import { enqueueAll } from "../../jobs/enqueue-job.ts";
import type { Tx } from "../../kernel/context.ts";
import type { InvoiceEvent } from "./invoice-events.ts";

/**
 * Announces what happened to invoices: one `invoice.event` job per invoice, written in the caller's
 * transaction (outbox), so a rolled-back finalization or payment announces nothing. What an event sends
 * (e-mail, webhooks) is decided when its job runs, by delivery. One multi-row insert per thousand invoices.
 */
export async function emitInvoiceEvents(
  trx: Tx,
  input: { event: InvoiceEvent; invoiceIds: readonly string[]; at: Date },
): Promise<void> {
  const at = input.at.toISOString();
  await enqueueAll(
    trx,
    input.invoiceIds.map((id) => ({
      kind: "invoice.event",
      payload: { invoice_id: id, event: input.event, at },
      // An invoice's events are handled in the order they happened: `finalized` before `paid`.
      orderingKey: `invoice:${id}`,
    })),
  );
}
