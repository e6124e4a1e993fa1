import { randomBytes } from "node:crypto";
import type { ServiceContext, Tx } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { fieldError } from "./field-error.ts";
import { invoicePaymentRows } from "./invoice-payment-rows.ts";
import { lockInvoiceAndCustomer } from "./invoice-settlement.ts";
import { presentPayment, type RecordPaymentInput } from "./payment-schemas.ts";
import type { RecordPaymentResult } from "./record-payment.ts";
import { repeatedPayment } from "./repeated-payment.ts";
import { writePaymentEvent } from "./write-payment-event.ts";

/**
 * A payment against one invoice (billing-rules §7) in two statements inside the caller's transaction: lock
 * the customer and the invoice and read what the invoice owes; then write every row of the event at once
 * (writePaymentEvent). Writes the same rows, in the same order, as the step-by-step path customer payments
 * take (record-payment.ts).
 */
export async function recordInvoicePayment(
  trx: Tx,
  ctx: ServiceContext,
  input: RecordPaymentInput & { invoice_id: string },
): Promise<RecordPaymentResult> {
  const paymentId = `pay_${randomBytes(12).toString("hex")}`;
  const now = ctx.now();
  // The second read runs while this transaction holds both locks, so what it reads cannot be stale.
  for (let attempt = 1; attempt <= 2; attempt++) {
    const invoice = await lockInvoiceAndCustomer(trx, input.invoice_id);
    if (invoice.status === "draft" || invoice.status === "void") {
      throw fieldError(
        "CONFLICT",
        "invoice_id",
        `invoice ${invoice.id} is ${invoice.status}; only an issued invoice can be paid`,
      );
    }
    if (input.currency !== undefined && input.currency !== invoice.currency_code) {
      throw fieldError(
        "VALIDATION",
        "currency",
        `must be ${invoice.currency_code}, the currency of the invoice`,
      );
    }
    const rows = invoicePaymentRows(ctx, input, invoice, paymentId, now);
    const written = await writePaymentEvent(trx, rows);
    if (!written.basisHeld) continue;
    if (!written.inserted) return repeatedPayment(trx, input, invoice.customer_id);
    // Just written: what it pays and holds is known, no refund exists yet.
    const payment = presentPayment(written.inserted, {
      allocations: rows.allocations
        .filter((a) => a.amount !== 0n)
        .map((a) => ({ invoice_id: a.invoiceId, amount: a.amount })),
      credit: rows.credit,
      refunds: [],
    });
    return { payment, created: true };
  }
  // Every money event locks the customer before it writes an invoice's receivable entries; only a writer
  // breaking that rule can change them under the locks this transaction holds.
  throw new ServiceError(
    "INTERNAL",
    `the amount due of invoice ${input.invoice_id} changed while the invoice was locked; nothing was recorded`,
  );
}
