import type { Db, Tx } from "../../kernel/context.ts";

/**
 * The number of the void invoice an invoice reissues, so that its documents can say "Replaces …"
 * (docs/billing-cycle.md, "Voiding and reissuing"): of its customer's and period's invoices whose slot staff
 * released, the last released that was numbered. A month voided and reissued twice (A → B → C) has C replace
 * B alone: until 2026-12 C said "Replaces A, B". A draft voided before it was numbered was never sent, so
 * the one before it is what the customer holds. Every released invoice of the period was released before an
 * invoice in force was drafted (one unreleased invoice at a time, migration 027), so no bound on time is needed.
 * Read through the list order index (period, customer_id, id); a period rarely holds more than one.
 */
export async function replacedInvoiceNumbers(
  db: Db | Tx,
  invoice: { id: string; customer_id: number; period: string; status: string },
): Promise<string[]> {
  if (invoice.status === "void") return [];
  const row = await db
    .selectFrom("invoice")
    .select("number")
    .where("period", "=", invoice.period)
    .where("customer_id", "=", BigInt(invoice.customer_id))
    .where("released_at", "is not", null)
    .where("number", "is not", null)
    .where("id", "<>", invoice.id)
    // The id after the time: only a pinned clock releases two at one instant, and ids are time-ordered.
    .orderBy("released_at", "desc")
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? [row.number!] : [];
}
