import type { CurrencyDisplay } from "../../domain/money.ts";
import type { InvoiceDocument, InvoiceDocumentCreditNote } from "./invoice-document.ts";

/**
 * The view model of a credit note (billing-rules §7): finished figures in minor units, like
 * InvoiceDocument. `net` is what is credited before tax; taxes are computed on it by §4 when the note is
 * issued, so renderers only format.
 */
export interface CreditNoteDocument {
  number: string; // "CN-2026-000001"
  issueDate: string; // YYYY-MM-DD
  /** The invoice it corrects. */
  invoiceNumber: string;
  reason: string;
  /** What became of the part of the total the invoice had already been paid: credit, or a refund. */
  settlement: "credit" | "refund";
  /**
   * Where the total went, as it stands when the document is made (the invoice's renderings read the same,
   * credit-note-settlements.ts): taken off the invoice, refunded, a card refund pending or failed; the rest is
   * kept as the customer's credit. The note is rendered anew on each download and mail, so its words say
   * what is true then, not what was meant at issue.
   */
  settled: CreditNoteSettled;
  seller: InvoiceDocument["seller"];
  customer: InvoiceDocument["customer"];
  currency: CurrencyDisplay;
  /** What is credited; one line "Credit on invoice …" when the note was issued for an amount. */
  lines: { description: string; amount: bigint }[];
  net: bigint;
  taxes: { label: string; rate: string; amount: bigint }[];
  total: bigint;
}

/** A credit note's settlement parts (InvoiceDocumentCreditNote without its number and total). */
export type CreditNoteSettled = Omit<Required<InvoiceDocumentCreditNote>, "number" | "total">;
