import { PROVIDER_METHODS } from "../providers/payment-provider.ts";

/**
 * How money recorded by hand went back to the customer, after "paid back": "by bank transfer", "in cash",
 * "by cheque", "directly" for `manual` (which names no way), and any other method by its name
 * ("by wire", from `wire`). A refund recorded by hand is staff saying the money went back outside the payment
 * provider; until 2026-12-06 the credit note's documents read "has been refunded to you" of it, as of a card's.
 */
export function paidBackHow(method: string): string {
  switch (method) {
    case "cash":
      return "in cash";
    case "manual":
      return "directly";
    default:
      return `by ${method.replaceAll("_", " ")}`;
  }
}

/** What a note's refunds recorded by hand returned in all: the rest of its refunded amount went to the card. */
export function byHandTotal(byHand: readonly { amount: bigint }[]): bigint {
  return byHand.reduce((sum, r) => sum + r.amount, 0n);
}

/**
 * A refund through the payment provider (to the card), and one the bank sent back after it had succeeded, in
 * short words. The one source of both for the invoice's, credit note's and statement's renderings, so that a
 * change of wording reaches all of them alike.
 */
export const REFUNDED_WORDS = "refunded";
export const REFUND_FAILED_WORDS = "refund failed";

/**
 * A refund in short words, by the method of the payment it returned money of: "refunded" for a payment
 * provider's (the card, through Stripe), "paid back by bank transfer", "paid back in cash", … for one recorded
 * by hand (paidBackHow). The invoice's documents name a credit note's refunds so, and the statement its refunds.
 */
export function refundedHow(method: string): string {
  return PROVIDER_METHODS.has(method) ? REFUNDED_WORDS : `paid back ${paidBackHow(method)}`;
}

/**
 * A statement's refund entry: how its money went back (refundedHow), or, for a refund that failed after it
 * had succeeded (the bank sent the money back: the entry takes it off the balance again), that it failed, in
 * the invoice's words for it ("refund failed, …").
 */
export function statementRefundWords(method: string, sentBack: boolean): string {
  return sentBack ? REFUND_FAILED_WORDS : refundedHow(method);
}
