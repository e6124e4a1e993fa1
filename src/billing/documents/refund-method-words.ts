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
