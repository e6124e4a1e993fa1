import { formatMinor, type CurrencyDisplay } from "../../domain/money.ts";
import type { CreditNoteDocument } from "./credit-note-document.ts";
import { customerLines, formatRate, sellerLines } from "./invoice-content.ts";
import type { SimpleLayout } from "./simple-layout.ts";
import { dayInstant } from "./document-date.ts";
import { byHandTotal, paidBackHow } from "./refund-method-words.ts";
import {
  keptAsCredit,
  SETTLED_AS,
  SETTLED_PARTS,
  type SettledAs,
  type SettlementPart,
} from "./settled-ways.ts";

/** The credit note laid out; `currency` defaults to the document's, the PDF passes one its font can draw. */
export function creditNoteLayout(
  doc: CreditNoteDocument,
  currency: CurrencyDisplay = doc.currency,
): SimpleLayout {
  const money = (minor: bigint): string => formatMinor(minor, currency);
  const title = `Credit note ${doc.number}`;
  return {
    heading: "Credit note",
    title,
    subject: `Credit note for ${doc.customer.name} on invoice ${doc.invoiceNumber}`,
    createdAt: dayInstant(doc.issueDate, "issueDate"),
    seller: {
      name: doc.seller.name,
      lines: sellerLines(doc.seller),
      email: doc.seller.email,
    },
    facts: [
      { label: "Credit note", value: doc.number },
      { label: "Issue date", value: doc.issueDate },
      { label: "Invoice", value: doc.invoiceNumber },
      { label: "Currency", value: currency.code },
    ],
    partyHeading: "Credit to",
    party: {
      name: doc.customer.name,
      lines: [...customerLines(doc.customer), `Customer no. ${doc.customer.id}`],
    },
    columns: [
      { label: "Description", wraps: true },
      { label: "Amount", numeric: true },
    ],
    rows: doc.lines.map((l) => [l.description, money(l.amount)]),
    empty: `Credit on invoice ${doc.invoiceNumber}`,
    totals: [
      { label: "Net credited", value: money(doc.net) },
      ...doc.taxes.map((t) => ({
        label: `${t.label} (${formatRate(t.rate, currency)})`,
        value: money(t.amount),
      })),
      { label: "Total credited", value: money(doc.total), strong: true },
    ],
    notes: [`Reason: ${doc.reason}`, creditNoteOutcome(doc, money)].filter((n) => n !== ""),
  };
}

/**
 * Where the credit note's total went, in the words of its PDF, HTML and mail, as it stands when the document is
 * made (it is rendered anew on each download and mail): one part reads without a figure, several name each.
 * Until 2026-12-06 a note settled as a refund read "is refunded to you" whatever happened: a card refund the
 * provider had not made yet (the amount held meanwhile), one that failed (kept as credit), or a payment no
 * refund could return (kept as credit from the start). A pending refund's sentence says both ways it can end,
 * so a mail read after the provider settled it is still true. Money staff recorded as paid back by hand says
 * how it went back ("has been paid back to you by bank transfer"); until 2026-12-06 it read "has been refunded
 * to you", as a card's refund does, and the customer looked for it on a card they never used. The portal's
 * credit-note list says the same in its Settled column.
 */
export function creditNoteOutcome(doc: OutcomeOf, money: (minor: bigint) => string): string {
  const parts = creditNoteOutcomeParts(doc);
  if (parts.length === 1) return `This amount ${parts[0]!.words}.`;
  return parts.map((p) => `${money(p.amount)} of it ${p.words}.`).join(" ");
}

/** What creditNoteOutcome reads of a note. */
type OutcomeOf = Pick<CreditNoteDocument, "settled" | "total" | "invoiceNumber">;

/** One of creditNoteOutcome's sentences: its amount, its words, and the way (settled-ways.ts) that money went. */
export interface OutcomePart {
  how: SettledAs;
  amount: bigint;
  words: string;
}

/**
 * creditNoteOutcome's sentences with an amount, in SETTLED_AS order: each part's words (PART_WORDS) filed under
 * the way SETTLED_PARTS names for the part, so the documents and the lists' `settled` never tell a note apart.
 * Until 2026-12-07 the sentences were a list of their own beside that table.
 */
export function creditNoteOutcomeParts(doc: OutcomeOf): OutcomePart[] {
  return SETTLED_AS.flatMap((how) =>
    SETTLED_PARTS[how].flatMap((part) =>
      PART_WORDS[part](doc).map(([amount, words]) => ({ how, amount, words })),
    ),
  ).filter((p) => p.amount > 0n);
}

/**
 * The words of each part of a note: a part may take several sentences, whose amounts sum to it (what the card
 * got back and what each method recorded by hand paid back; a failed card refund kept as credit and what it
 * paid of open invoices).
 */
const PART_WORDS: Record<SettlementPart, (doc: OutcomeOf) => (readonly [bigint, string])[]> = {
  takenOff: ({ settled: s, invoiceNumber }) => [
    [s.takenOff, `lowers what is due on invoice ${invoiceNumber}`],
  ],
  refunded: ({ settled: s }) => [
    [s.refunded - byHandTotal(s.refundedByHand), "has been refunded to you"],
    ...s.refundedByHand.map((r) => [r.amount, paidBackWords(r.method)] as const),
  ],
  refundPending: ({ settled: s }) => [
    [
      s.refundPending,
      "is being refunded to the card you paid with; until the card's refund is made it is held on your account and pays no invoice, and if it cannot be made it is kept as credit that pays your next invoices",
    ],
  ],
  refundFailed: ({ settled: s }) => [
    [
      s.refundFailed - s.refundFailedPaidInvoices,
      "could not be refunded to your card, so it is kept as credit on your account and pays your next invoices",
    ],
    [s.refundFailedPaidInvoices, "could not be refunded to your card, so it paid your open invoices"],
  ],
  kept: ({ settled, total }) => [
    [keptAsCredit(total, settled), "is kept as credit on your account and pays your next invoices"],
  ],
};

/** A refund recorded by hand, in the note's words: `manual` names no way, so it says who recorded it. */
function paidBackWords(method: string): string {
  const how = paidBackHow(method);
  return method === "manual"
    ? `has been paid back to you ${how}, as recorded by our staff`
    : `has been paid back to you ${how}`;
}
