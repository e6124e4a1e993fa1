import { sql } from "kysely";
import type { Db, Tx } from "../../kernel/context.ts";
import { customerCredit } from "../ledger/ledger.ts";

// A credit note settled as a refund of a card payment leaves the card's share as the customer's credit until
// the provider settles the refund (issue-credit-note.ts); when it succeeds, postRefund takes that credit back.
// So that credit is held: nothing may spend it meanwhile. Until 2026-12-06 only the note's own transaction kept
// it; the next invoice's finalization or a payment spent it, and the refund, finding no credit, reopened the
// invoice it had paid. Spending credit anywhere goes through these functions; when the refund fails the hold
// ends and the credit is the customer's to spend (settleRefundIn pays their open invoices from it).
// A payment's own pending provider refund holds the part of it that its plan takes from the payment's unused
// credit (refund.credit_held, fixed when it is asked: refund-payment.ts); when it succeeds, postRefund takes
// that credit back. Until 2026-12-07 it held none: the credit paid an invoice meanwhile, and the refund, once
// made, reopened that invoice, so the customer owed again what was paid when staff asked for the refund.

/** `customer/currency` → what that customer's pending provider refunds hold of their credit. */
export async function creditHeldForRefunds(
  db: Db | Tx,
  customerIds: readonly bigint[],
): Promise<Map<string, bigint>> {
  if (customerIds.length === 0) return new Map();
  const held = new Map<string, bigint>();
  for (const r of [
    ...(await heldByNotes(db, customerIds)),
    ...(await heldByPaymentRefunds(db, customerIds)),
  ]) {
    const key = creditKey(r.customer_id, r.currency_code);
    held.set(key, (held.get(key) ?? 0n) + BigInt(r.held));
  }
  return held;
}

/** Credit notes' pending card refunds: each holds its whole amount, the credit its note left. */
function heldByNotes(db: Db | Tx, customerIds: readonly bigint[]) {
  // Through the credit note's customer index and the refund's credit-note index: a customer has few notes.
  return db
    .selectFrom("refund")
    .innerJoin("credit_note", "credit_note.id", "refund.credit_note_id")
    .select([
      "credit_note.customer_id",
      "credit_note.currency_code",
      sql<string>`sum(refund.amount)`.as("held"),
    ])
    .where("credit_note.customer_id", "in", customerIds)
    .where("refund.status", "=", "pending")
    .groupBy(["credit_note.customer_id", "credit_note.currency_code"])
    .execute();
}

/** Payments' own pending provider refunds: each holds what it was to take back of its payment's credit. */
function heldByPaymentRefunds(db: Db | Tx, customerIds: readonly bigint[]) {
  // Through the partial index of pending refunds that hold credit (migration 047): few rows in all.
  return db
    .selectFrom("refund")
    .innerJoin("payment", "payment.id", "refund.payment_id")
    .select(["payment.customer_id", "payment.currency_code", sql<string>`sum(refund.credit_held)`.as("held")])
    .where("payment.customer_id", "in", customerIds)
    .where("refund.status", "=", "pending")
    .where("refund.credit_held", ">", 0n)
    .groupBy(["payment.customer_id", "payment.currency_code"])
    .execute();
}

/** What a payment's other pending refunds hold of its credit part (a new hold or a plan takes the rest). */
export async function paymentCreditHeld(db: Db | Tx, paymentId: string): Promise<bigint> {
  const row = await db
    .selectFrom("refund")
    .select(sql<string>`coalesce(sum(credit_held), 0)`.as("held"))
    .where("payment_id", "=", paymentId)
    .where("status", "=", "pending")
    .where("credit_held", ">", 0n)
    .executeTakeFirstOrThrow();
  return BigInt(row.held);
}

export const creditKey = (customerId: bigint, currency: string) => `${customerId}/${currency}`;

/** Credit less what is held, never below 0 (held beyond the credit is what a sound ledger never shows). */
export function spendableOf(credit: bigint, held: bigint): bigint {
  return credit > held ? credit - held : 0n;
}

/** The customer's credit in a currency and the part of it held for pending provider refunds. */
export async function customerCreditHeld(
  db: Db | Tx,
  customerId: bigint,
  currency: string,
): Promise<{ credit: bigint; held: bigint; spendable: bigint }> {
  const credit = await customerCredit(db, customerId, currency);
  const held = (await creditHeldForRefunds(db, [customerId])).get(creditKey(customerId, currency)) ?? 0n;
  // What is held is shown no larger than the credit there is to hold.
  const shown = held < credit ? held : credit > 0n ? credit : 0n;
  return { credit, held: shown, spendable: spendableOf(credit, held) };
}

/** What of the customer's credit in a currency may pay invoices or be taken back by another refund. */
export async function spendableCredit(db: Db | Tx, customerId: bigint, currency: string): Promise<bigint> {
  return (await customerCreditHeld(db, customerId, currency)).spendable;
}
