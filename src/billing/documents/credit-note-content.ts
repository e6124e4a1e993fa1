import { formatMinor, type CurrencyDisplay } from "../../domain/money.ts";
import type { CreditNoteDocument } from "./credit-note-document.ts";
import { formatRate } from "./invoice-content.ts";
import type { SimpleLayout } from "./simple-layout.ts";
import { dayInstant } from "./document-date.ts";

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
      { label: "Description", weight: 4 },
      { label: "Amount", weight: 1, numeric: true },
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
    notes: [
      `Reason: ${doc.reason}`,
      doc.settlement === "refund"
        ? `What you had paid of this amount is refunded to you; the rest lowers what is due on invoice ${doc.invoiceNumber}.`
        : `This amount lowers what is due on invoice ${doc.invoiceNumber}; what you had already paid of it is kept as credit for your next invoices.`,
    ],
  };
}
