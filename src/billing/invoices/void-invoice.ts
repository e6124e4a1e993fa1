import { ServiceError } from "../../kernel/errors.ts";
import { recordAudit } from "../../kernel/audit.ts";
import { readInvoice } from "./get-invoice.ts";
import { type Invoice, VoidInput, InvoiceIdParams } from "./invoice-schemas.ts";
import { lockInvoice } from "./mark-invoice-paid.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";

/**
 * draft | finalized → void. A void invoice keeps its number (numbers are never reused, §5) and its
 * (customer, period) slot: a correction is a new document, not a re-run.
 */
export const voidInvoice = defineVerb(
  VoidInput.extend(InvoiceIdParams.shape),
  async ({ ctx, input }): Promise<Invoice> => {
    return withTransaction(ctx, async (tx) => {
      const trx = tx.db;
      const row = await lockInvoice(trx, input.id);
      if (row.status !== "draft" && row.status !== "finalized") {
        throw new ServiceError(
          "CONFLICT",
          `invoice ${input.id} is ${row.status}; only a draft or finalized invoice can be voided`,
        );
      }
      const now = ctx.now();
      await trx
        .updateTable("invoice")
        .set({ status: "void", voided_at: now, void_reason: input.reason, updated_at: now })
        .where("id", "=", input.id)
        .execute();
      const after = await readInvoice(trx, input.id);
      await recordAudit(trx, ctx, {
        action: "void",
        entity: "invoice",
        entityId: input.id,
        before: { status: row.status },
        after: { status: after.status, void: after.void },
      });
      return after;
    });
  },
);
