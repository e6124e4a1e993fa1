import { formatMinor, type CurrencyDisplay } from "../../domain/money.ts";
import { dayInstant } from "./document-date.ts";
import { customerLines, sellerLines } from "./invoice-content.ts";
import type { SimpleLayout } from "./simple-layout.ts";
import type { StatementDocument, StatementEntryKind } from "./statement-document.ts";

export const STATEMENT_KIND_LABELS: Record<StatementEntryKind, string> = {
  invoice: "Invoice",
  payment: "Payment",
  refund: "Refund",
  credit_note: "Credit note",
  credit_applied: "Credit applied",
};

/** The statement laid out; `currency` defaults to the document's, the PDF passes one its font can draw. */
export function statementLayout(
  doc: StatementDocument,
  currency: CurrencyDisplay = doc.currency,
): SimpleLayout {
  const money = (minor: bigint): string => formatMinor(minor, currency);
  return {
    heading: "Statement",
    title: `Statement for customer ${doc.customer.id} on ${doc.date}`,
    subject: `Account statement for ${doc.customer.name} in ${currency.code}`,
    createdAt: dayInstant(doc.date, "date"),
    seller: {
      name: doc.seller.name,
      lines: sellerLines(doc.seller),
      email: doc.seller.email,
    },
    facts: [
      { label: "Statement date", value: doc.date },
      { label: "Customer no.", value: String(doc.customer.id) },
      { label: "Currency", value: currency.code },
    ],
    partyHeading: "Statement for",
    party: { name: doc.customer.name, lines: customerLines(doc.customer) },
    columns: [
      { label: "Date" },
      { label: "Type" },
      { label: "Reference", wraps: true },
      { label: "Amount", numeric: true },
      { label: "Balance", numeric: true },
    ],
    rows: doc.entries.map((e) => [
      e.date,
      STATEMENT_KIND_LABELS[e.kind],
      statementReference(e),
      money(e.amount),
      money(e.balance),
    ]),
    empty: "Nothing yet.",
    totals: statementTotals(doc, money),
    notes: [
      "Amounts add to what you owe (invoices, refunds) or subtract from it (payments, credit notes); " +
        "applying credit to an invoice moves credit you hold onto that invoice and leaves the balance as it is.",
    ],
  };
}

/**
 * The statement's closing figures in its own words, for the PDF and the portal's statement page alike: the
 * credit available, credit held for a card refund (when there is any), and the balance, due or in the
 * customer's favour (the last, `strong`).
 */
export function statementTotals(
  doc: Pick<StatementDocument, "balance" | "credit" | "creditHeld">,
  money: (minor: bigint) => string,
): { label: string; value: string; strong?: boolean }[] {
  return [
    // Credit held for a card refund is the customer's until the refund settles, but pays no invoice.
    { label: "Credit available", value: money(doc.credit - doc.creditHeld) },
    ...(doc.creditHeld > 0n
      ? [{ label: "Credit on its way back to your card", value: money(doc.creditHeld) }]
      : []),
    {
      label: doc.balance < 0n ? "Balance in your favour" : "Balance due",
      value: money(doc.balance < 0n ? -doc.balance : doc.balance),
      strong: true,
    },
  ];
}

/**
 * The entry's reference, with a payment's own day when it was recorded on another ("(received 2026-11-01)")
 * and a refund's way back ("(paid back by bank transfer)"), so the customer knows where to look for it: the
 * PDF's and the portal's cell, and the CLI's (statementDocumentEntry).
 */
export function statementReference(e: StatementDocument["entries"][number]): string {
  if (e.received !== undefined) return `${e.reference} (received ${e.received})`;
  if (e.refund !== undefined) return referenceWithRefund(e.reference, e.refund.words);
  return e.reference;
}

/** A refund's reference with its way back, "ref_… (paid back in cash)". */
function referenceWithRefund(reference: string, words: string): string {
  return `${reference} (${words})`;
}
