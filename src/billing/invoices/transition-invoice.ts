import type { Updateable } from "kysely";
import type { InvoiceStatus, InvoiceTable } from "../../db/schema.ts";
import { type AuditVerb, recordAudit } from "../../kernel/audit.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { TxContext } from "../../kernel/transaction.ts";
import { readInvoice } from "./get-invoice.ts";
import type { Invoice } from "./invoice-schemas.ts";

/**
 * The one way an invoice changes state (billing-rules §5): lock it, refuse a state it cannot leave by this
 * verb (CONFLICT), let the verb check the locked row, write the change, audit `invoice.<verb>` with the
 * verb's view of before and after, and return the invoice as it now is — all in the caller's transaction.
 */
export async function transitionInvoice(
  tx: TxContext,
  change: {
    id: string;
    verb: AuditVerb;
    /** How the refusal names the change: "marked paid", "voided". */
    done: string;
    from: readonly InvoiceStatus[];
    check?: (row: { status: InvoiceStatus; total: bigint }) => void;
    set: (now: Date) => Updateable<InvoiceTable>;
    audited: (after: Invoice) => unknown;
  },
): Promise<Invoice> {
  const row = await tx.db
    .selectFrom("invoice")
    .select(["id", "status", "total"])
    .where("id", "=", change.id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`invoice ${change.id}`);
  if (!change.from.includes(row.status)) {
    throw new ServiceError(
      "CONFLICT",
      `invoice ${change.id} is ${row.status}; only a ${change.from.join(" or ")} invoice can be ${change.done}`,
    );
  }
  change.check?.(row);
  const now = tx.now();
  await tx.db
    .updateTable("invoice")
    .set({ ...change.set(now), updated_at: now })
    .where("id", "=", change.id)
    .execute();
  const after = await readInvoice(tx.db, change.id);
  await recordAudit(tx.db, tx, {
    action: change.verb,
    entity: "invoice",
    entityId: change.id,
    before: { status: row.status },
    after: change.audited(after),
  });
  return after;
}
