import { ServiceError } from "../../kernel/errors.ts";
import { jsonText } from "../../kernel/json.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { emitInvoiceEvents } from "./emit-invoice-event.ts";
import { type Invoice, InvoiceIdParams, MarkPaidInput } from "./invoice-schemas.ts";
import { transitionInvoice } from "./transition-invoice.ts";

/**
 * finalized → paid (billing-rules §5). Partial payments are not modelled: the amount must be the total,
 * so an invoice marked paid is never short.
 */
export const markInvoicePaid = defineVerb(
  MarkPaidInput.extend(InvoiceIdParams.shape),
  ({ ctx, input }): Promise<Invoice> =>
    withTransaction(ctx, async (tx) => {
      const after = await transitionInvoice(tx, {
        id: input.id,
        verb: "mark_paid",
        done: "marked paid",
        from: ["finalized"],
        check: (row) => {
          if (input.amount !== row.total)
            throw ServiceError.validation(
              "amount",
              `must equal the invoice total ${row.total} (minor units); partial payments are not supported`,
            );
        },
        set: (now) => ({
          status: "paid",
          paid_amount: input.amount,
          paid_date: input.date,
          paid_reference: input.reference,
          paid_at: now,
        }),
        audited: (invoice) => JSON.parse(jsonText({ status: invoice.status, payment: invoice.payment })),
      });
      await emitInvoiceEvents(tx.db, { event: "invoice.paid", invoiceIds: [input.id], at: tx.now() });
      return after;
    }),
);
