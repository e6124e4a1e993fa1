import type { Db, Tx } from "../../kernel/context.ts";

/**
 * The numbers of the void invoices an invoice reissues: those of its customer and period whose slot staff
 * released (docs/billing-cycle.md, "Voiding and reissuing"), so that its documents can say "Replaces …".
 * Read through the list order index (period, customer_id, id); a period rarely holds more than one.
 */
export async function replacedInvoiceNumbers(
  db: Db | Tx,
  invoice: { id: string; customer_id: number; period: string; status: string },
): Promise<string[]> {
  if (invoice.status === "void") return [];
  const rows = await db
    .selectFrom("invoice")
    .select("number")
    .where("period", "=", invoice.period)
    .where("customer_id", "=", BigInt(invoice.customer_id))
    .where("released_at", "is not", null)
    .where("number", "is not", null)
    .where("id", "<>", invoice.id)
    .orderBy("id")
    .execute();
  return rows.map((r) => r.number!);
}
