import { recordAudit } from "../../kernel/audit.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { type TxContext, withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";
import { readInvoice } from "./get-invoice.ts";
import { type Invoice, InvoiceIdParams } from "./invoice-schemas.ts";

/** How the API's refusal to reissue an invoice not yet void names voiding and releasing at once. */
export const VOID_WITH_REISSUE_HINT = `(with "reissue": true to do both)`;

/**
 * Gives up a void invoice's (customer, period) slot, so that the next run of the period drafts the customer
 * a new usage invoice (new number, today's prices, taxes and details) — "void and reissue". The void
 * invoice stays on record with its number (billing-rules §5: numbers are never reused); only the invoices
 * not released hold the unique slot (migration 027), so at most one invoice of a period is ever in force.
 * A release is for good: once a new invoice may hold the slot, taking it back could only fail.
 * Runs in the caller's transaction, so `voidInvoice` can void and release in one.
 */
export async function releaseInvoiceSlot(tx: TxContext, id: string): Promise<Invoice> {
  const row = await tx.db
    .selectFrom("invoice")
    .select(["status", "period", "released_at"])
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`invoice ${id}`);
  if (row.status !== "void") {
    throw new ServiceError(
      "CONFLICT",
      `invoice ${id} is ${row.status}; only a void invoice can be reissued — void it first ${VOID_WITH_REISSUE_HINT}`,
    );
  }
  if (row.released_at) {
    throw new ServiceError(
      "CONFLICT",
      `invoice ${id} was already released for reissue on ${row.released_at.toISOString()}; run ${row.period} again to bill it`,
    );
  }
  const now = tx.now();
  await tx.db
    .updateTable("invoice")
    .set({ released_at: now, updated_at: now })
    .where("id", "=", id)
    .execute();
  const after = await readInvoice(tx.db, id);
  await recordAudit(tx.db, tx, {
    action: "reissue",
    entity: "invoice",
    entityId: id,
    before: { released_at: null },
    after: { period: row.period, released_at: now.toISOString() },
  });
  return after;
}

/** `POST /api/v1/invoices/{id}/reissue`: release an already void invoice's slot. */
export const reissueInvoice = defineVerb(InvoiceIdParams, async ({ ctx, input }): Promise<Invoice> => {
  await requireStaffRole(ctx, ...BILLING_ROLES);
  return withTransaction(ctx, (tx) => releaseInvoiceSlot(tx, input.id));
});
