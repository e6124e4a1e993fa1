import { timeOrderedId } from "../../kernel/time-ordered-id.ts";
import type { ServiceContext, Tx } from "../../kernel/context.ts";
import { fieldError } from "./field-error.ts";
import {
  lockCustomerForMoney,
  requestDunningEvaluation,
  settleInvoiceStatuses,
} from "./invoice-settlement.ts";
import { payOpenInvoicesFromCredit } from "./pay-open-invoices-from-credit.ts";
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
  if (written.credit > 0n) {
    await payOpenInvoicesFromOverpayment(db, ctx, {
      customerId: invoice.customer_id,
      currency: invoice.currency_code,
      paymentId: written.inserted.id,
    });
  }
  // Just written: what it pays and holds is known, no refund exists yet.
  const payment = presentPayment(written.inserted, {
    allocations:
      written.allocated === 0n ? [] : [{ invoice_id: input.invoice_id, amount: written.allocated }],
    credit: written.credit,
    refunds: [],
  });
  return { payment, created: true };
}

/**
 * What a payment paid beyond its invoice became credit in the payment's one statement; it then pays the
 * customer's other open invoices oldest first (docs/payments.md, "Credit"). Inside a caller's transaction
 * (a provider's webhook, an Idempotency-Key) it joins it; on the pool, where the payment committed alone, it
 * is a transaction of its own right after, which the rare over-payment pays for, not every payment. Should
 * the process stop in between, the credit waits beside the invoice for the customer's next money event, and
 * dunning counts it against what is overdue meanwhile (docs/dunning.md).
 */
async function payOpenInvoicesFromOverpayment(
  db: Tx,
  ctx: ServiceContext,
  input: { customerId: bigint; currency: string; paymentId: string },
): Promise<void> {
  const sweep = async (trx: Tx) => {
    await lockCustomerForMoney(trx, input.customerId);
    const now = ctx.now();
    const paid = await payOpenInvoicesFromCredit(trx, ctx, {
      customerId: input.customerId,
      currency: input.currency,
      at: now,
      sourceEventId: `pay:${input.paymentId}`,
    });
    if (paid.length === 0) return;
    await settleInvoiceStatuses(
      trx,
      paid.map((a) => a.invoiceId),
      now,
    );
    await requestDunningEvaluation(trx, input.customerId);
  };
  if (db.isTransaction) await sweep(db);
  else await db.transaction().execute(sweep);
}
