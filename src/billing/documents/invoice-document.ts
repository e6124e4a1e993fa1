import type { CurrencyDisplay } from "../../domain/money.ts";

/**
 * The view model every rendering (HTML, PDF, e-mail) takes. It holds finished figures only: amounts are
 * bigint minor units already rounded at the points of billing-rules §4, so renderers format and never
 * compute money. `unitCost` and tax `rate` are exact decimal strings ("0.001", "6").
 */
export interface InvoiceDocument {
  number: string; // "INV-2026-000001"
  status: "draft" | "finalized" | "partially_paid" | "paid" | "void";
  /** What is left to pay (billing-rules §7), when the document is made from a stored invoice. */
  amountDue?: bigint;
  /** How much of total − amountDue credit notes took off (the rest was paid or paid from credit). */
  credited?: bigint;
  /**
   * The credit notes issued against the invoice, oldest first, each with its full total and how it was
   * settled (billing-rules §7): what it took off this invoice's amount due, what of it was refunded, is
   * being refunded or failed to be, and what was kept as the customer's credit (total − the others). Absent: the renderings show one
   * "Credit notes" row of `credited`.
   */
  creditNotes?: InvoiceDocumentCreditNote[];
  issueDate: string; // "2026-11-01" (YYYY-MM-DD)
  dueDate: string;
  period: string; // "2026-10"
  periodStart: string; // ISO instants; the period is [periodStart, periodEnd)
  periodEnd: string;
  seller: { name: string; addressLines: string[]; email: string; taxId?: string };
  customer: { id: number; name: string; email: string; country: string; region: string | null };
  currency: CurrencyDisplay;
  lines: InvoiceDocumentLine[];
  subtotal: bigint;
  discounts: { name: string; amount: bigint }[]; // positive amounts, subtracted in order
  net: bigint;
  taxes: InvoiceDocumentTax[];
  total: bigint;
  paid?: { amount: bigint; date: string; reference: string };
  /** The numbers of the void invoices this one reissues (docs/billing-cycle.md, "Voiding and reissuing"). */
  replaces?: string[];
}

export interface InvoiceDocumentCreditNote {
  number: string;
  total: bigint;
  takenOff: bigint;
  /** Refunds of the note that succeeded. */
  refunded: bigint;
  /**
   * Of `refunded`, the refunds of payments recorded by hand (bank transfer, cash, …: money staff say went back
   * outside the payment provider), per payment method; the rest went back through the provider (the card).
   * Absent: none.
   */
  refundedByHand?: { method: string; amount: bigint }[];
  /** Refunds the payment provider has not settled yet: the customer's credit until it does. Absent: 0. */
  refundPending?: bigint;
  /** Refunds that failed: their amount is the customer's again (credit, or paid open invoices). Absent: 0. */
  refundFailed?: bigint;
  /** Of refundFailed, what paid open invoices (a refund reversed after it had succeeded). Absent: 0. */
  refundFailedPaidInvoices?: bigint;
}

/**
 * One invoice line (billing-rules §4.1, §2.2). A server resized in the period has one `server` line per
 * plan, each followed by that plan's `additional_ips` and `backups` lines when it has them; lines come in
 * that order and the renderings keep it.
 */
export interface InvoiceDocumentLine {
  /** Absent on documents built before line kinds existed: read as "server". */
  kind?: "server" | "additional_ips" | "backups";
  /** The server the line belongs to, e.g. "web-1 (server 101)"; the renderings add what the line is for. */
  description: string;
  /** The plan the line is charged at (for a resized server, the plan of that part of the period). */
  plan: string;
  /** Server hours; IP-hours on an additional_ips line; hours with backups on, on a backups line. */
  hours: bigint;
  /** The number of additional IPs on an additional_ips line; 1 (or absent) otherwise. */
  quantity?: bigint;
  /** hourly | monthly_cap | monthly_fixed | free | backup_share (unknown kinds are shown as they are). */
  chargeKind: string;
  /** The plan's backup_price in percent, exact decimal text ("10", "12.5"), on a backups line. */
  backupPercent?: string | null;
  tokens: bigint;
  unitCost: string;
  amount: bigint;
}

export interface InvoiceDocumentTax {
  label: string;
  rate: string; // percent, exact decimal text
  /**
   * The taxable base in minor units (billing-rules §4.4): net, or net plus the taxes before for compound
   * taxes — `taxBases` in src/domain/invoice-math.ts derives it from a stored invoice. Shown as
   * "City Tax 6% on $9.43"; without it the row reads "City Tax (6%)".
   */
  base?: bigint;
  amount: bigint;
}
