import { formatMinor, type CurrencyDisplay } from "../../domain/money.ts";
import type { CreditNoteDocument } from "./credit-note-document.ts";
import { formatRate } from "./invoice-content.ts";
import type { SimpleLayout } from "./simple-layout.ts";
import { dayInstant } from "./document-date.ts";
import { byHandTotal, paidBackHow } from "./refund-method-words.ts";
import { keptAsCredit } from "./settled-ways.ts";

/** The credit note laid out; `currency` defaults to the document's, the PDF passes one its font can draw. */
export function creditNoteLayout(
  doc: CreditNoteDocument,
  currency: CurrencyDisplay = doc.currency,
): SimpleLayout {
  const money = (minor: bigint): string => formatMinor(minor, currency);
  const place = [doc.customer.region, doc.customer.country].filter((p) => p !== null && p !== "").join(", ");
  const title = `Credit note ${doc.number}`;
  return {
    heading: "Credit note",
    title,
    subject: `Credit note for ${doc.customer.name} on invoice ${doc.invoiceNumber}`,
    createdAt: dayInstant(doc.issueDate, "issueDate"),
    seller: {
      name: doc.seller.name,
      lines: [
        ...doc.seller.addressLines,
        doc.seller.email,
        ...(doc.seller.taxId === undefined ? [] : [`Tax ID: ${doc.seller.taxId}`]),
      ],
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
      lines: [doc.customer.email, ...(place === "" ? [] : [place]), `Customer no. ${doc.customer.id}`],
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
export function creditNoteOutcome(
  doc: Pick<CreditNoteDocument, "settled" | "total" | "invoiceNumber">,
  money: (minor: bigint) => string,
): string {
  const s = doc.settled;
  const failedKept = s.refundFailed - s.refundFailedPaidInvoices;
  const kept = keptAsCredit(doc.total, s);
  const parts = (
    [
      [s.takenOff, `lowers what is due on invoice ${doc.invoiceNumber}`],
      [s.refunded - byHandTotal(s.refundedByHand), "has been refunded to you"],
      ...s.refundedByHand.map((r) => [r.amount, paidBackWords(r.method)] as const),
      [
        s.refundPending,
        "is being refunded to the card you paid with; until the card's refund is made it is held on your account and pays no invoice, and if it cannot be made it is kept as credit that pays your next invoices",
      ],
      [
        failedKept,
        "could not be refunded to your card, so it is kept as credit on your account and pays your next invoices",
      ],
      [s.refundFailedPaidInvoices, "could not be refunded to your card, so it paid your open invoices"],
      [kept, "is kept as credit on your account and pays your next invoices"],
    ] as const
  ).filter(([amount]) => amount > 0n);
  if (parts.length === 1) return `This amount ${parts[0]![1]}.`;
  return parts.map(([amount, what]) => `${money(amount)} of it ${what}.`).join(" ");
}

/** A refund recorded by hand, in the note's words: `manual` names no way, so it says who recorded it. */
function paidBackWords(method: string): string {
  const how = paidBackHow(method);
  return method === "manual"
    ? `has been paid back to you ${how}, as recorded by our staff`
    : `has been paid back to you ${how}`;
}
