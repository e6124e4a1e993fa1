import { type JobRecord, jobRecord } from "../../jobs/enqueue-job.ts";
import { auditFields } from "../../kernel/audit.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { invoiceEventJobs } from "../invoices/emit-invoice-event.ts";
import type { PaymentToRecord } from "./payment-schemas.ts";

// What a payment against one invoice writes that is known before the invoice is read: the payment's own
// fields, its two invoice.event jobs (checked by the job catalog) and its audit row without the parts that
// depend on the invoice. writePaymentEvent adds the rest — customer, currency, allocation, credit, the
// invoice's new state — from the invoice it locks and reads, in the same statement. Pure: no I/O.

export interface InvoicePaymentRows {
  payment: {
    id: string;
    amount: bigint;
    method: string;
    reference: string;
    invoice_id: string;
    paid_at: Date;
    created_at: Date;
  };
  /** Refused (nothing written) unless the invoice's currency is this one. */
  currency: string | undefined;
  /** invoice.paid (written only when the payment moves the invoice to paid), then payment.received. */
  jobs: { paid: JobRecord; received: JobRecord };
  /** The audit row; `after` still lacks currency, customer_id, allocations, credit and invoice_states. */
  audit: ReturnType<typeof auditFields>;
}

export function invoicePaymentRows(
  ctx: ServiceContext,
  input: PaymentToRecord & { invoice_id: string },
  paymentId: string,
  now: Date,
): InvoicePaymentRows {
  const invoiceIds = [input.invoice_id];
  const [paid] = invoiceEventJobs({ event: "invoice.paid", invoiceIds, at: now });
  // A payment against an invoice announces itself on that invoice even when all of it became credit.
  const [received] = invoiceEventJobs({
    event: "payment.received",
    invoiceIds,
    at: now,
    subject: { payment_id: paymentId },
  });
  return {
    payment: {
      id: paymentId,
      amount: input.amount,
      method: input.method,
      reference: input.reference,
      invoice_id: input.invoice_id,
      paid_at: input.paid_at ?? now,
      created_at: now,
    },
    currency: input.currency,
    jobs: { paid: jobRecord(paid!), received: jobRecord(received!) },
    audit: auditFields(ctx, {
      action: "record",
      entity: "payment",
      entityId: paymentId,
      before: null,
      after: {
        amount: String(input.amount),
        method: input.method,
        reference: input.reference,
        invoice_id: input.invoice_id,
      },
    }),
  };
}
