import { ServiceError } from "../../kernel/errors.ts";
import { recordAudit } from "../../kernel/audit.ts";
import type { Tx, VerbArgs } from "../../kernel/context.ts";
import { jsonText } from "../../kernel/json.ts";
import { emitInvoiceEvents } from "./emit-invoice-event.ts";
import { readInvoice } from "./get-invoice.ts";
import type { Invoice, MarkPaidInput } from "./invoice-schemas.ts";
import { withTransaction } from "../../kernel/transaction.ts";

/** Locks an invoice for a state change, or says why there is none to change. */
export async function lockInvoice(trx: Tx, id: string) {
  const row = await trx
    .selectFrom("invoice")
    .select(["id", "status", "total"])
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`invoice ${id}`);
  return row;
}

/**
 * finalized → paid (billing-rules §5). Partial payments are not modelled: the amount must be the total,
 * so an invoice marked paid is never short.
 */
export async function markInvoicePaid({
  ctx,
  input,
}: VerbArgs<MarkPaidInput & { id: string }>): Promise<Invoice> {
  return withTransaction(ctx, async (tx) => {
    const trx = tx.db;
    const row = await lockInvoice(trx, input.id);
    if (row.status !== "finalized") {
      throw new ServiceError(
        "CONFLICT",
        `invoice ${input.id} is ${row.status}; only a finalized invoice can be marked paid`,
      );
    }
    if (input.amount !== row.total) {
      throw ServiceError.validation(
        "amount",
        `must equal the invoice total ${row.total} (minor units); partial payments are not supported`,
      );
    }
    const now = ctx.now();
    await trx
      .updateTable("invoice")
      .set({
        status: "paid",
        paid_amount: input.amount,
        paid_date: input.date,
        paid_reference: input.reference,
        paid_at: now,
        updated_at: now,
      })
      .where("id", "=", input.id)
      .execute();
    const after = await readInvoice(trx, input.id);
    await recordAudit(trx, ctx, {
      action: "mark_paid",
      entity: "invoice",
      entityId: input.id,
      before: { status: row.status },
      after: JSON.parse(jsonText({ status: after.status, payment: after.payment })),
    });
    await emitInvoiceEvents(trx, { event: "invoice.paid", invoiceIds: [input.id], at: now });
    return after;
  });
}
