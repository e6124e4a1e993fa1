import type { CurrencyDisplay } from "../../domain/money.ts";
import type { InvoiceDocument } from "./invoice-document.ts";

/** What moved the customer's balance (billing-rules §7), as the statement lists it. */
export type StatementEntryKind = "invoice" | "payment" | "refund" | "credit_note" | "credit_applied";

export interface StatementEntry {
  date: string; // YYYY-MM-DD
  kind: StatementEntryKind;
  /** The invoice or credit note number, the payment's reference, the refund's id. */
  reference: string;
  /** A payment's own date (YYYY-MM-DD) when it is not `date`, the day it was recorded; otherwise absent. */
  received?: string | undefined;
  /**
   * A refund's way back: the method of the payment it returned money of (`stripe`, `bank_transfer`, …) and
   * that in words ("refunded", "paid back by bank transfer", "refund failed" for one the bank sent back:
   * statementRefundWords); absent for other entries.
   */
  refund?: { method: string; words: string } | undefined;
  /** Signed minor units: + the customer owes more (invoice, refund), − less (payment, credit note). */
  amount: bigint;
  /** The balance after this entry (+ owed, − in credit). */
  balance: bigint;
}

/** The view model of a customer's statement in one currency: finished figures, renderers only format. */
export interface StatementDocument {
  /** The day the statement is made for (YYYY-MM-DD); it lists everything up to then. */
  date: string;
  seller: InvoiceDocument["seller"];
  customer: InvoiceDocument["customer"];
  currency: CurrencyDisplay;
  entries: StatementEntry[];
  /** Σ receivable − credit: + the customer owes, − tokenbill owes them. */
  balance: bigint;
  /** Credit the customer holds, ≥ 0 (already counted in balance). */
  credit: bigint;
  /** The part of `credit` held for credit notes' card refunds not settled yet: it pays no invoice meanwhile. */
  creditHeld: bigint;
}
