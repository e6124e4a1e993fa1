import { ServiceError } from "../../errors.ts";
import { recordAudit } from "../../services/audit.ts";
import type { VerbArgs } from "../../services/context.ts";
import { readInvoice } from "./get-invoice.ts";
import type { Invoice, VoidInput } from "./invoice-schemas.ts";
import { lockInvoice } from "./mark-invoice-paid.ts";

/**
 * draft | finalized → void. A void invoice keeps its number (numbers are never reused, §5) and its
 * (customer, period) slot: a correction is a new document, not a re-run.
 */
export async function voidInvoice({ ctx, input }: VerbArgs<VoidInput & { id: string }>): Promise<Invoice> {
  return ctx.db.transaction().execute(async (trx) => {
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
      action: "update",
      entity: "invoice",
      entityId: input.id,
      before: { status: row.status },
      after: { status: after.status, void: after.void },
    });
    return after;
  });
}
