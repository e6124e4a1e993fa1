import { ServiceError } from "../../kernel/errors.ts";
import { customerScope } from "../../kernel/actor.ts";
import type { Tx } from "../../kernel/context.ts";
import { type Invoice, presentInvoice, InvoiceIdParams } from "./invoice-schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { invoiceAmountDue } from "../ledger/ledger.ts";
import { requireReadAccess } from "../../services/staff/staff-roles.ts";

/** One invoice with its lines, read through `db` (a transaction when the caller holds one). */
export async function readInvoice(db: Tx, id: string): Promise<Invoice> {
  const row = await db.selectFrom("invoice").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw ServiceError.notFound(`invoice ${id}`);
  const lines = await db
    .selectFrom("invoice_line")
    .selectAll()
    .where("invoice_id", "=", id)
    .orderBy("position")
    .execute();
  return presentInvoice(row, lines, await invoiceAmountDue(db, id));
}

/** A customer reads only its own invoices; another's is NOT_FOUND (services/actor.ts). */
export const getInvoice = defineVerb(InvoiceIdParams, async ({ ctx, input }): Promise<Invoice> => {
  await requireReadAccess(ctx);
  const invoice = await readInvoice(ctx.db, input.id);
  customerScope(ctx.actor, BigInt(invoice.customer_id));
  return invoice;
});
