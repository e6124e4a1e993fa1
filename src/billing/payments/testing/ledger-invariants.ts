import { expect } from "vitest";
import type { Db, ServiceContext } from "../../../kernel/context.ts";
import { customerBalance, customerCredit, invoiceAmountsDue } from "../../ledger/ledger.ts";
import { statusForAmountDue } from "../invoice-settlement.ts";
import { customerStatement } from "../statement.ts";

// billing-rules §7 "a ledger, not counters", as the two ledger properties check it after every sequence
// (ledger.property.db.test.ts with manual money, ledger-card.property.db.test.ts with card money too): what
// holds of any customer's books whatever money events came before. Each property adds its own checks of credit
// beside open invoices (all credit with manual money; only spendable credit with card refunds holding some).

type Entry = Awaited<ReturnType<typeof readEntries>>[number];

export interface CheckedLedger {
  /** Σ amount of the customer's entries matching `filter`. */
  sum: (filter: (e: Entry) => boolean) => bigint;
  /** Σ amount due of the invoices not void. */
  dueTotal: bigint;
  /** Credit we owe the customer: −Σ credit entries. */
  credit: bigint;
}

function readEntries(db: Db, customerId: bigint) {
  return db.selectFrom("ledger_entry").selectAll().where("customer_id", "=", customerId).execute();
}

/**
 * Each event sums to zero; every invoice's amount due is its receivable entries, as projected, never below zero
 * nor above what credit notes left, and its status follows from it; credit is never negative and equals its
 * projection; cash is Σ payments − Σ refunds that succeeded; revenue is what issued invoices billed less what
 * credit notes took back; the balance is Σ due − credit, as projected and as the statement ends.
 */
export async function checkLedger(db: Db, ctx: ServiceContext, customerId: bigint): Promise<CheckedLedger> {
  const entries = await readEntries(db, customerId);
  const byEvent = new Map<string, bigint>();
  for (const e of entries) byEvent.set(e.event_id, (byEvent.get(e.event_id) ?? 0n) + e.amount);
  for (const [event, total] of byEvent) expect(total, event).toBe(0n);
  const sum = (filter: (e: Entry) => boolean) => entries.filter(filter).reduce((s, e) => s + e.amount, 0n);

  const invoices = await db
    .selectFrom("invoice")
    .select(["id", "status", "total"])
    .where("customer_id", "=", customerId)
    .execute();
  const notes = await db
    .selectFrom("credit_note")
    .selectAll()
    .where("customer_id", "=", customerId)
    .execute();
  const projected = await invoiceAmountsDue(
    db,
    invoices.map((i) => i.id),
  );
  let dueTotal = 0n;
  let issuedTotal = 0n;
  for (const inv of invoices) {
    const due = sum((e) => e.account === "receivable" && e.invoice_id === inv.id);
    expect(projected.get(inv.id) ?? 0n, inv.id).toBe(due);
    const credited = notes.filter((n) => n.invoice_id === inv.id).reduce((s, n) => s + n.total, 0n);
    if (inv.status === "void") {
      expect(due).toBe(0n);
      continue;
    }
    expect(due >= 0n && due <= inv.total - credited, `${inv.id} due ${due}`).toBe(true);
    const creditNoted = -sum(
      (e) => e.account === "receivable" && e.invoice_id === inv.id && e.event_kind === "credit_note",
    );
    expect(inv.status).toBe(statusForAmountDue({ total: inv.total, due, creditNoted }));
    dueTotal += due;
    issuedTotal += inv.total;
  }
  const credit = -sum((e) => e.account === "credit");
  expect(credit >= 0n).toBe(true);
  expect(await customerCredit(db, customerId, "USD")).toBe(credit);

  const paid = await db
    .selectFrom("payment")
    .select(["id", "amount"])
    .where("customer_id", "=", customerId)
    .execute();
  const refunded = paid.length
    ? await db
        .selectFrom("refund")
        .select("amount")
        .where(
          "payment_id",
          "in",
          paid.map((p) => p.id),
        )
        .where("status", "=", "succeeded")
        .execute()
    : [];
  // A refund that failed after it had succeeded (the bank sent it back) gave its cash back: it is not counted.
  expect(sum((e) => e.account === "cash")).toBe(
    paid.reduce((s, p) => s + p.amount, 0n) - refunded.reduce((s, r) => s + r.amount, 0n),
  );
  expect(-sum((e) => e.account === "sales")).toBe(issuedTotal - notes.reduce((s, n) => s + n.total, 0n));
  const balance = await customerBalance(db, customerId, "USD");
  expect(balance).toBe(dueTotal - credit);
  const statement = await customerStatement(ctx, customerId);
  expect([statement.balance, statement.credit]).toEqual([balance, credit]);
  expect(statement.entries.at(-1)?.balance ?? 0n).toBe(balance);
  return { sum, dueTotal, credit };
}
