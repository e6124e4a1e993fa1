import { type Selectable, sql } from "kysely";
import type { PaymentTable } from "../../db/schema.ts";
import type { Tx } from "../../kernel/context.ts";
import { fieldError } from "./field-error.ts";
import { type Payment, type Refund, presentPayment, presentRefund } from "./payment-schemas.ts";

/**
 * A payment as the API shows it: its row, what it pays now per invoice and the credit it still holds (both
 * projections of its ledger entries), and its refunds. NOT_FOUND names `payment_id`.
 */
export async function readPayment(db: Tx, id: string): Promise<Payment> {
  const row = await db.selectFrom("payment").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw fieldError("NOT_FOUND", "payment_id", `payment ${id} not found`);
  const [payment] = await presentPayments(db, [row]);
  return payment!;
}

/**
 * Payment rows as readPayment shows each, in their order: two statements for all of them (their ledger
 * projections grouped, their refunds), whatever their number, so a page of a list costs no more than one.
 */
export async function presentPayments(db: Tx, rows: Selectable<PaymentTable>[]): Promise<Payment[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [parts, refunds] = await Promise.all([
    db
      .selectFrom("ledger_entry")
      .select(["payment_id", "account", "invoice_id", sql<bigint>`(-sum(amount))::bigint`.as("amount")])
      .where("payment_id", "in", ids)
      .where("account", "in", ["receivable", "credit"])
      .groupBy(["payment_id", "account", "invoice_id"])
      .orderBy("invoice_id")
      .execute(),
    db
      .selectFrom("refund")
      .selectAll()
      .where("payment_id", "in", ids)
      .orderBy("created_at")
      .orderBy("id")
      .execute(),
  ]);
  const partsOf = groupBy(parts, (p) => p.payment_id as string);
  const refundsOf = groupBy(refunds.map(presentRefund), (r: Refund) => r.payment_id);
  return rows.map((row) => {
    const own = partsOf.get(row.id) ?? [];
    return presentPayment(row, {
      allocations: own
        .filter((p) => p.account === "receivable" && BigInt(p.amount) !== 0n)
        .map((p) => ({ invoice_id: p.invoice_id as string, amount: BigInt(p.amount) })),
      credit: own.filter((p) => p.account === "credit").reduce((s, p) => s + BigInt(p.amount), 0n),
      refunds: refundsOf.get(row.id) ?? [],
    });
  });
}

/** Items by key, each group in the items' order. */
function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
