import { ServiceError } from "../../errors.ts";
import type { Tx, VerbArgs } from "../../services/context.ts";
import { type Invoice, presentInvoice } from "./invoice-schemas.ts";

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
  return presentInvoice(row, lines);
}

export async function getInvoice({ ctx, input }: VerbArgs<{ id: string }>): Promise<Invoice> {
  return readInvoice(ctx.db, input.id);
}
