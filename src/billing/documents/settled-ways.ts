import type { CreditNoteSettled } from "./credit-note-document.ts";

/**
 * Where some of a credit note's money went, as its documents tell it (creditNoteOutcome): `invoice`, it lowered
 * what its invoice owed; `refund`, it went back or is going back to the customer (a refund made, by card or by
 * hand, or a card refund pending); `credit`, it is the customer's credit: kept as credit, or a card refund that
 * failed, whose money is the customer's again (billing-rules §7: it pays open invoices first, as a payment's
 * surplus would, and the rest is credit). A note split several ways is each of them. Not the note's
 * `settlement`, which is what staff asked for the part already paid: a "refund" of an unpaid invoice only
 * lowers what it owes. The portal's `settled` filter uses these words.
 */
export const SETTLED_AS = ["invoice", "refund", "credit"] as const;
export type SettledAs = (typeof SETTLED_AS)[number];

/** A part of a note's total: one of the settlement reader's sums, or `kept`, what none of them took. */
export type SettlementPart = "takenOff" | "refunded" | "refundPending" | "refundFailed" | "kept";

/** The parts `kept` is the rest of: each names money of the note once (refundFailedPaidInvoices is in refundFailed). */
export const KEPT_IS_TOTAL_LESS = ["takenOff", "refunded", "refundPending", "refundFailed"] as const;

/**
 * Which parts each way is made of: the one table the reader's words (settledWays, settledAmounts), the
 * list's SQL filter (settledAs in credit-note-settlements.ts) and the documents' sentences (creditNoteOutcome,
 * whose words for each part are filed under the part's way) are all derived from, so a note is never filed
 * under a way its row or its PDF does not say.
 */
export const SETTLED_PARTS: Record<SettledAs, readonly SettlementPart[]> = {
  invoice: ["takenOff"],
  refund: ["refunded", "refundPending"],
  credit: ["refundFailed", "kept"],
};

/** What of a note is plain credit: its total less the parts the reader names. */
export function keptAsCredit(total: bigint, s: Pick<CreditNoteSettled, (typeof KEPT_IS_TOTAL_LESS)[number]>) {
  return KEPT_IS_TOTAL_LESS.reduce((rest, part) => rest - s[part], total);
}

/** A note's total, or the reader's parts of it, as settledAmounts takes them. */
type SettledNote = { total: bigint } & Pick<CreditNoteSettled, (typeof KEPT_IS_TOTAL_LESS)[number]>;

/**
 * How much of a note's total went each way (SETTLED_AS), from the reader's parts: the API's `settled`, whose
 * three amounts sum to the note's total, as `kept` is the rest.
 */
export function settledAmounts(note: SettledNote): Record<SettledAs, bigint> {
  const amountOf = (part: SettlementPart) => (part === "kept" ? keptAsCredit(note.total, note) : note[part]);
  const sumOf = (how: SettledAs) => SETTLED_PARTS[how].reduce((sum, p) => sum + amountOf(p), 0n);
  return { invoice: sumOf("invoice"), refund: sumOf("refund"), credit: sumOf("credit") };
}

/** The ways a note's money went (SETTLED_AS order): those some of its total went (settledAmounts). */
export function settledWays(note: SettledNote): SettledAs[] {
  const amounts = settledAmounts(note);
  return SETTLED_AS.filter((how) => amounts[how] > 0n);
}
