import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { type Invoice, InvoiceIdParams, VoidInput } from "./invoice-schemas.ts";
import { transitionInvoice } from "./transition-invoice.ts";

/**
 * draft | finalized → void. A void invoice keeps its number (numbers are never reused, §5) and its
 * (customer, period) slot: a correction is a new document, not a re-run.
 */
export const voidInvoice = defineVerb(
  VoidInput.extend(InvoiceIdParams.shape),
  ({ ctx, input }): Promise<Invoice> =>
    withTransaction(ctx, (tx) =>
      transitionInvoice(tx, {
        id: input.id,
        verb: "void",
        done: "voided",
        from: ["draft", "finalized"],
        set: (now) => ({ status: "void", voided_at: now, void_reason: input.reason }),
        audited: (invoice) => ({ status: invoice.status, void: invoice.void }),
      }),
    ),
);
