import { sql } from "kysely";
import type { Db, Tx } from "../../kernel/context.ts";
import { customerCredit } from "../ledger/ledger.ts";

// A credit note settled as a refund of a card payment leaves the card's share as the customer's credit until
// the provider settles the refund (issue-credit-note.ts); when it succeeds, postRefund takes that credit back.
// So that credit is held: nothing may spend it meanwhile. Until 2026-12-06 only the note's own transaction kept
// it; the next invoice's finalization or a payment spent it, and the refund, finding no credit, reopened the
// invoice it had paid. Spending credit anywhere goes through these functions; when the refund fails the hold
// ends and the credit is the customer's to spend (settleRefundIn pays their open invoices from it).

/** `customer/currency` → what that customer's credit notes' pending provider refunds hold of their credit. */
export async function creditHeldForRefunds(
  db: Db | Tx,
  customerIds: readonly bigint[],
): Promise<Map<string, bigint>> {
  if (customerIds.length === 0) return new Map();
  // Through the credit note's customer index and the refund's credit-note index: a customer has few notes.
  const rows = await db
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
  return new Map(rows.map((r) => [creditKey(r.customer_id, r.currency_code), BigInt(r.held)]));
}

export const creditKey = (customerId: bigint, currency: string) => `${customerId}/${currency}`;

/** Credit less what is held, never below 0 (held beyond the credit is what a sound ledger never shows). */
export function spendableOf(credit: bigint, held: bigint): bigint {
  return credit > held ? credit - held : 0n;
}

/** The customer's credit in a currency and the part of it held for pending credit-note refunds. */
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
