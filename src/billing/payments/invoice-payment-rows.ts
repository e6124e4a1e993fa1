import { type JobRecord, jobRecord, type NewJob } from "../../jobs/enqueue-job.ts";
import { auditFields } from "../../kernel/audit.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { invoiceEventJobs } from "../invoices/emit-invoice-event.ts";
import { ledgerEntryRows } from "../ledger/ledger.ts";
import { type Allocation, allocateOldestFirst } from "./allocate.ts";
import {
  dunningEvaluationJob,
  type LockedInvoice,
  type StatusChange,
  statusForAmountDue,
} from "./invoice-settlement.ts";
import type { RecordPaymentInput } from "./payment-schemas.ts";

// Every row a payment against one invoice writes, computed from what locking the invoice read: the same
// rows the step-by-step path (record-payment.ts, for customer payments) writes through postLedgerEvent,
// settleInvoiceStatuses, emitInvoiceEvents, recordAudit and requestDunningEvaluation, so that
// writePaymentEvent can write them all in one statement. Pure: no I/O.

export interface InvoicePaymentRows {
  payment: {
    id: string;
    customer_id: bigint;
    currency_code: string;
    amount: bigint;
    method: string;
    reference: string;
    invoice_id: string;
    paid_at: Date;
    created_at: Date;
  };
  /** What the rows were computed from; writePaymentEvent writes nothing unless the ledger still says it. */
  basis: { invoiceId: string; due: bigint; creditNoted: bigint };
  ledger: ReturnType<typeof ledgerEntryRows>;
  /** The invoice's new state, when the payment changes it. */
  invoiceStatus: StatusChange | undefined;
  /** In the order they are to run: invoice.paid before payment.received (one ordering key). */
  jobs: JobRecord[];
  audit: ReturnType<typeof auditFields>;
  allocations: Allocation[];
  credit: bigint;
}

export function invoicePaymentRows(
  ctx: ServiceContext,
  input: RecordPaymentInput & { invoice_id: string },
  invoice: LockedInvoice,
  paymentId: string,
  now: Date,
): InvoicePaymentRows {
  const customerId = invoice.customer_id;
  const currency = invoice.currency_code;
  const { allocations, credit } = allocateOldestFirst(input.amount, [{ id: invoice.id, due: invoice.due }]);
  const allocated = allocations.reduce((s, a) => s + a.amount, 0n);

  const ledger = ledgerEntryRows([
    {
      id: `pay:${paymentId}`,
      kind: "payment",
      customerId,
      currency,
      at: now,
      lines: [
        { account: "cash", amount: input.amount, paymentId },
        ...allocations.map((a) => ({
          account: "receivable" as const,
          amount: -a.amount,
          invoiceId: a.invoiceId,
          paymentId,
        })),
        { account: "credit", amount: -credit, paymentId },
      ],
    },
  ]);

  // As settleInvoiceStatuses: only an invoice the payment allocated to is looked at again.
  const to =
    allocations.length > 0
      ? statusForAmountDue({
          total: invoice.total,
          due: invoice.due - allocated,
          creditNoted: invoice.credit_noted,
        })
      : invoice.status;
  const invoiceStatus = to !== invoice.status ? { id: invoice.id, from: invoice.status, to } : undefined;

  const jobs: NewJob[] = [
    ...(invoiceStatus?.to === "paid"
      ? invoiceEventJobs({ event: "invoice.paid", invoiceIds: [invoice.id], at: now })
      : []),
    // A payment against an invoice announces itself on that invoice even when all of it became credit.
    ...invoiceEventJobs({
      event: "payment.received",
      invoiceIds: [invoice.id],
      at: now,
      subject: { payment_id: paymentId },
    }),
    dunningEvaluationJob(customerId),
  ];

  return {
    payment: {
      id: paymentId,
      customer_id: customerId,
      currency_code: currency,
      amount: input.amount,
      method: input.method,
      reference: input.reference,
      invoice_id: invoice.id,
      paid_at: input.paid_at ?? now,
      created_at: now,
    },
    basis: { invoiceId: invoice.id, due: invoice.due, creditNoted: invoice.credit_noted },
    ledger,
    invoiceStatus,
    jobs: jobs.map(jobRecord),
    audit: auditFields(ctx, {
      action: "record",
      entity: "payment",
      entityId: paymentId,
      before: null,
      after: {
        amount: String(input.amount),
        currency,
        method: input.method,
        reference: input.reference,
        invoice_id: invoice.id,
        customer_id: String(customerId),
        allocations: allocations.map((a) => ({ invoice_id: a.invoiceId, amount: String(a.amount) })),
        credit: String(credit),
        invoice_states: invoiceStatus ? [invoiceStatus] : [],
      },
    }),
    allocations,
    credit,
  };
}
