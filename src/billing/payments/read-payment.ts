import { sql } from "kysely";
import type { Tx } from "../../kernel/context.ts";
import { fieldError } from "./field-error.ts";
import { type Payment, presentPayment, presentRefund } from "./payment-schemas.ts";

/**
 * A payment as the API shows it: its row, what it pays now per invoice and the credit it still holds (both
 * projections of its ledger entries), and its refunds. NOT_FOUND names `payment_id`.
 */
export async function readPayment(db: Tx, id: string): Promise<Payment> {
  const row = await db.selectFrom("payment").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw fieldError("NOT_FOUND", "payment_id", `payment ${id} not found`);
  const [parts, refunds] = await Promise.all([
    db
      .selectFrom("ledger_entry")
      .select(["account", "invoice_id", sql<bigint>`(-sum(amount))::bigint`.as("amount")])
      .where("payment_id", "=", id)
      .where("account", "in", ["receivable", "credit"])
      .groupBy(["account", "invoice_id"])
      .orderBy("invoice_id")
      .execute(),
    db
      .selectFrom("refund")
      .selectAll()
      .where("payment_id", "=", id)
      .orderBy("created_at")
      .orderBy("id")
      .execute(),
  ]);
  return presentPayment(row, {
    allocations: parts
      .filter((p) => p.account === "receivable" && BigInt(p.amount) !== 0n)
      .map((p) => ({ invoice_id: p.invoice_id as string, amount: BigInt(p.amount) })),
    credit: parts.filter((p) => p.account === "credit").reduce((s, p) => s + BigInt(p.amount), 0n),
    refunds: refunds.map(presentRefund),
  });
}
