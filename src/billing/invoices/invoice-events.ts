// What can happen to an invoice that the outside world hears about: the event catalog. Billing emits these
// (emit-invoice-event.ts); delivery decides what each one sends (e-mail, webhooks: docs/webhooks.md).
// A leaf module: the job payload schemas (src/jobs/job-payloads.ts) build on it.

export const INVOICE_EVENTS = [
  "invoice.finalized",
  "invoice.paid",
  // An issued invoice voided: no longer owed (a draft was never announced, so voiding one says nothing).
  "invoice.voided",
  // Money in (billing-rules §7): the event names the payment, refund or credit note besides its invoice.
  "payment.received",
  "payment.refunded",
  "credit_note.issued",
] as const;
export type InvoiceEvent = (typeof INVOICE_EVENTS)[number];
