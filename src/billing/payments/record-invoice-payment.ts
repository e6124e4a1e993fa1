import { timeOrderedId } from "../../kernel/time-ordered-id.ts";
import type { ServiceContext, Tx } from "../../kernel/context.ts";
import { fieldError } from "./field-error.ts";
import { invoicePaymentRows } from "./invoice-payment-rows.ts";
import { presentPayment, type PaymentToRecord } from "./payment-schemas.ts";
import type { RecordPaymentResult } from "./record-payment.ts";
import { repeatedPayment } from "./repeated-payment.ts";
import { writePaymentEvent } from "./write-payment-event.ts";

/**
 * A payment against one invoice (billing-rules §7) in one statement (writePaymentEvent): on the pool it is
 * a transaction of its own (autocommit), inside a caller's transaction it joins it. A refusal is decided by
 * that statement after it locked the invoice, so nothing is written when it is refused.
 */
export async function recordInvoicePayment(
  db: Tx,
  ctx: ServiceContext,
  input: PaymentToRecord & { invoice_id: string },
): Promise<RecordPaymentResult> {
  const paymentId = timeOrderedId("pay");
  const rows = invoicePaymentRows(ctx, input, paymentId, ctx.now());
  const written = await writePaymentEvent(db, rows);
  if (!written) throw fieldError("NOT_FOUND", "invoice_id", `invoice ${input.invoice_id} not found`);
  const { invoice } = written;
  if (written.verdict === "not_payable") {
    throw fieldError(
      "CONFLICT",
      "invoice_id",
      `invoice ${input.invoice_id} is ${invoice.status}; only an issued invoice can be paid`,
    );
  }
  if (written.verdict === "currency") {
    throw fieldError(
      "VALIDATION",
      "currency",
      `must be ${invoice.currency_code}, the currency of the invoice`,
    );
  }
  if (!written.inserted) return repeatedPayment(db, input, invoice.customer_id);
  // Just written: what it pays and holds is known, no refund exists yet.
  const payment = presentPayment(written.inserted, {
    allocations:
      written.allocated === 0n ? [] : [{ invoice_id: input.invoice_id, amount: written.allocated }],
    credit: written.credit,
    refunds: [],
  });
  return { payment, created: true };
}
