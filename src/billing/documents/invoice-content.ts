import { Decimal } from "../../domain/decimal.ts";
import { byHandTotal, REFUND_FAILED_WORDS, REFUNDED_WORDS, refundedHow } from "./refund-method-words.ts";
import { type CurrencyDisplay, formatDecimal, formatMinor } from "../../domain/money.ts";
import type {
  InvoiceDocument,
  InvoiceDocumentCreditNote,
  InvoiceDocumentLine,
  InvoiceDocumentTax,
} from "./invoice-document.ts";

// Every rendering shows the same words and figures: HTML and PDF lay out this one description, so a
// change of wording or format lands in both. Pure and deterministic (no clock, no locale).

export type TotalKind = "sum" | "adjustment" | "total" | "due";

export interface InvoiceContent {
  title: string;
  statusBadge: "DRAFT" | "PAID" | "CREDITED" | "VOID" | null;
  seller: { name: string; lines: string[] };
  billTo: { name: string; lines: string[] };
  /** `dated`: the value is a date, a time or a range of them (the HTML writes them as <time>, html-time.ts). */
  facts: { label: string; value: string; dated?: true }[];
  lineColumns: { label: string; numeric: boolean }[];
  lineRows: string[][];
  /** Says what "Hours" counts on additional-IP and backup lines; null when the invoice has neither. */
  lineNote: string | null;
  totals: { label: string; value: string; kind: TotalKind }[];
  note: string;
}

export const LINE_COLUMNS: InvoiceContent["lineColumns"] = [
  { label: "Description", numeric: false },
  { label: "Plan", numeric: false },
  { label: "Hours", numeric: true },
  { label: "Charge", numeric: false },
  { label: "Tokens", numeric: true },
  { label: "Unit cost", numeric: true },
  { label: "Amount", numeric: true },
];

const CHARGE_KINDS: Record<string, string> = {
  hourly: "Hourly",
  monthly_cap: "Monthly cap",
  monthly_fixed: "Monthly fixed",
  free: "Free",
  backup_share: "Backup share",
};

const LINE_NOTE =
  "Hours: server hours on server lines; on additional-IP lines, the hours of all the IPs added up " +
  "(IP-hours); on backup lines, the hours with backups on, charged at the plan's backup percentage of " +
  "the runtime tokens for those hours.";

/** `currency` defaults to the document's; the PDF passes a variant its font can encode. */
export function describeInvoice(
  doc: InvoiceDocument,
  currency: CurrencyDisplay = doc.currency,
): InvoiceContent {
  const money = (minor: bigint): string => formatMinor(minor, currency);
  const number = doc.number === "" ? "(not yet numbered)" : doc.number;
  return {
    title: `Invoice ${number}`,
    statusBadge: creditedInFull(doc) ? "CREDITED" : STATUS_BADGES[doc.status],
    seller: {
      name: doc.seller.name,
      lines: sellerLines(doc.seller),
    },
    billTo: {
      name: doc.customer.name,
      lines: [...customerLines(doc.customer), `Customer no. ${doc.customer.id}`],
    },
    facts: [
      { label: "Invoice number", value: number },
      { label: "Issue date", value: doc.issueDate, dated: true },
      { label: "Due date", value: doc.dueDate, dated: true },
      { label: "Billing period", value: doc.period },
      { label: "Period covered", value: formatPeriodRange(doc.periodStart, doc.periodEnd), dated: true },
      { label: "Currency", value: doc.currency.code },
      ...(doc.replaces?.length ? [{ label: "Replaces", value: `${doc.replaces.join(", ")} (void)` }] : []),
    ],
    lineColumns: LINE_COLUMNS,
    lineRows: doc.lines.map((l) => [
      describeLine(l, currency),
      l.plan,
      formatCount(l.hours, currency),
      CHARGE_KINDS[l.chargeKind] ?? l.chargeKind,
      formatCount(l.tokens, currency),
      formatUnitCost(l.unitCost, currency),
      money(l.amount),
    ]),
    lineNote: doc.lines.some((l) => (l.kind ?? "server") !== "server") ? LINE_NOTE : null,
    totals: totalRows(doc, money, currency),
    note: paymentNote(doc, money),
  };
}

const STATUS_BADGES: Record<InvoiceDocument["status"], InvoiceContent["statusBadge"]> = {
  draft: "DRAFT",
  finalized: null,
  partially_paid: null,
  paid: "PAID",
  void: "VOID",
};

function totalRows(
  doc: InvoiceDocument,
  money: (minor: bigint) => string,
  currency: CurrencyDisplay,
): InvoiceContent["totals"] {
  const rows: InvoiceContent["totals"] = [{ label: "Subtotal", value: money(doc.subtotal), kind: "sum" }];
  for (const d of doc.discounts) rows.push({ label: d.name, value: money(-d.amount), kind: "adjustment" });
  // Without discounts "Net" would repeat the subtotal; taxes are on net either way (§4.4).
  if (doc.discounts.length > 0) rows.push({ label: "Net", value: money(doc.net), kind: "sum" });
  for (const t of doc.taxes)
    rows.push({ label: taxLabel(t, money, currency), value: money(t.amount), kind: "adjustment" });
  rows.push({ label: `Total (${doc.currency.code})`, value: money(doc.total), kind: "total" });
  const settled = amountSettled(doc);
  if (settled !== null) {
    // What credit notes took off, apart from what was paid (billing-rules §7): an invoice cancelled by a note
    // was never paid, and a single "Payments and credit" row said it was. Then what is left.
    const credited = creditedPart(doc, settled);
    if (doc.creditNotes !== undefined && doc.creditNotes.length > 0)
      // Each note with its number, its full amount and how it was settled; the figure is what it took off
      // this invoice, so the column still adds up to the amount due.
      for (const note of doc.creditNotes)
        rows.push({ label: creditNoteLabel(note, money), value: money(-note.takenOff), kind: "adjustment" });
    else if (credited > 0n) rows.push({ label: "Credit notes", value: money(-credited), kind: "adjustment" });
    if (settled > credited)
      rows.push({ label: "Payments and credit", value: money(credited - settled), kind: "adjustment" });
    rows.push({ label: "Amount due", value: money(doc.total - settled), kind: "due" });
  } else if (doc.paid !== undefined) {
    rows.push({ label: `Paid on ${doc.paid.date}`, value: money(-doc.paid.amount), kind: "adjustment" });
    rows.push({ label: "Balance due", value: money(doc.total - doc.paid.amount), kind: "due" });
  }
  return rows;
}

/**
 * "Credit note CN-2026-000001 of $1.08: taken off this invoice"; a note settled more than one way names each
 * part: "Credit note CN-2026-000002 of $5.00: $2.00 taken off this invoice, $3.00 refunded".
 */
function creditNoteLabel(note: InvoiceDocumentCreditNote, money: (minor: bigint) => string): string {
  return `Credit note ${note.number} of ${money(note.total)}: ${creditNoteSettlementWords(note, money)}`;
}

/**
 * How a credit note was settled, in the words of the invoice's documents and the console's invoice page:
 * "taken off this invoice", or each part named ("$2.00 taken off this invoice, $3.00 refunded"). A card
 * refund reads "refund pending" until the provider settles it (it read "kept as credit" until 2026-12-06),
 * and a failed one says where its money went: kept as credit, or (a refund the bank sent back) paid open
 * invoices. Money staff recorded as paid back by hand says how ("paid back by bank transfer"); until
 * 2026-12-06 it read "refunded", as a card's refund does.
 */
export function creditNoteSettlementWords(
  note: InvoiceDocumentCreditNote,
  money: (minor: bigint) => string,
): string {
  const pending = note.refundPending ?? 0n;
  const failed = note.refundFailed ?? 0n;
  const failedPaid = note.refundFailedPaidInvoices ?? 0n;
  const kept = note.total - note.takenOff - note.refunded - pending - failed;
  const byHand = note.refundedByHand ?? [];
  const parts = (
    [
      [note.takenOff, "taken off this invoice"],
      [note.refunded - byHandTotal(byHand), REFUNDED_WORDS],
      ...byHand.map((r) => [r.amount, refundedHow(r.method)] as const),
      [pending, "refund pending"],
      [failed - failedPaid, `${REFUND_FAILED_WORDS}, kept as credit`],
      [failedPaid, `${REFUND_FAILED_WORDS}, paid open invoices`],
      [kept, "kept as credit"],
    ] as const
  ).filter(([amount]) => amount > 0n);
  return parts.length === 1
    ? parts[0]![1]
    : parts.map(([amount, what]) => `${money(amount)} ${what}`).join(", ");
}

/** Total less amount due, when something was paid or credited; null when the whole total is owed or unknown. */
function amountSettled(doc: InvoiceDocument): bigint | null {
  if (doc.amountDue === undefined || doc.status === "draft" || doc.status === "void") return null;
  return doc.amountDue < doc.total ? doc.total - doc.amountDue : null;
}

/** What credit notes settled of `settled`: never more than it (a note beyond the due went to credit). */
function creditedPart(doc: InvoiceDocument, settled: bigint): bigint {
  const credited = doc.credited ?? 0n;
  return credited > settled ? settled : credited;
}

/** A paid invoice whose whole total credit notes took off: nothing was paid, so it does not say "paid". */
function creditedInFull(doc: InvoiceDocument): boolean {
  const settled = amountSettled(doc);
  return (
    doc.status === "paid" &&
    settled !== null &&
    settled === doc.total &&
    creditedPart(doc, settled) === settled
  );
}

/**
 * The Description cell: the server, and for a line that is not the server's runtime what it charges —
 * "web-1 (server 101) · Additional IPs ×2", "web-1 (server 101) · Backups 10%". The plan is its own column.
 */
export function describeLine(line: InvoiceDocumentLine, currency: CurrencyDisplay): string {
  switch (line.kind ?? "server") {
    case "server":
      return line.description;
    case "additional_ips": {
      const count = line.quantity === undefined ? "" : ` ×${formatCount(line.quantity, currency)}`;
      return `${line.description} · Additional IPs${count}`;
    }
    case "backups": {
      const percent =
        line.backupPercent === undefined || line.backupPercent === null
          ? ""
          : ` ${formatRate(line.backupPercent, currency)}`;
      return `${line.description} · Backups${percent}`;
    }
  }
}

/** "City Tax 6% on $9.43" with the taxable base (billing-rules §4.4); "City Tax (6%)" without one. */
export function taxLabel(
  tax: InvoiceDocumentTax,
  money: (minor: bigint) => string,
  currency: CurrencyDisplay,
): string {
  const rate = formatRate(tax.rate, currency);
  return tax.base === undefined ? `${tax.label} (${rate})` : `${tax.label} ${rate} on ${money(tax.base)}`;
}

function paymentNote(doc: InvoiceDocument, money: (minor: bigint) => string): string {
  switch (doc.status) {
    case "draft":
      return "Draft: not a request for payment. Figures may change until the invoice is finalized.";
    case "void":
      return "Void: this invoice has been cancelled and nothing is due.";
    case "paid":
      if (creditedInFull(doc)) return "Credited in full by credit notes: nothing is due.";
      return doc.paid === undefined
        ? "Paid. Thank you."
        : `Paid ${money(doc.paid.amount)} on ${doc.paid.date}, reference ${doc.paid.reference}. Thank you.`;
    case "finalized":
      return `Please pay ${money(doc.amountDue ?? doc.total)} by ${doc.dueDate}, quoting ${doc.number}.`;
    case "partially_paid":
      return `Partly paid: please pay the rest${doc.amountDue === undefined ? "" : `, ${money(doc.amountDue)},`} by ${doc.dueDate}, quoting ${doc.number}.`;
  }
}

/** Token and hour counts, grouped like the currency's amounts: 5000n → "5,000". */
export function formatCount(n: bigint, currency: CurrencyDisplay): string {
  return formatMinor(n, { ...currency, exponent: 0, displayPrefix: "", displaySuffix: "" });
}

/** "0.001" → "$0.001": exact, never fewer decimals than the currency's minor unit ("$1.00"). */
export function formatUnitCost(unitCost: string, currency: CurrencyDisplay): string {
  const d = Decimal.parse(unitCost, "unitCost").normalize();
  return formatDecimal(d, currency, Math.max(d.scale, currency.exponent));
}

/** The seller's lines under its name on every document: its address, its e-mail, and its tax ID if it has one. */
export function sellerLines(seller: InvoiceDocument["seller"]): string[] {
  return [
    ...seller.addressLines,
    seller.email,
    ...(seller.taxId === undefined ? [] : [`Tax ID: ${seller.taxId}`]),
  ];
}

/** The customer's lines under their name on every document: their e-mail, then region and country if known. */
export function customerLines(customer: InvoiceDocument["customer"]): string[] {
  const place = [customer.region, customer.country].filter((p) => p !== null && p !== "").join(", ");
  return [customer.email, ...(place === "" ? [] : [place])];
}

/** "6" → "6%", "7.50" → "7.5%" with the currency's decimals separator. */
export function formatRate(rate: string, currency: CurrencyDisplay): string {
  const d = Decimal.parse(rate, "rate").normalize();
  return `${formatDecimal(d, { ...currency, displayPrefix: "", displaySuffix: "" }, d.scale)}%`;
}

/** "2026-10-01 00:00 – 2026-11-01 00:00 UTC": the zone once when both ends share it. */
export function formatPeriodRange(startIso: string, endIso: string): string {
  const start = formatInstant(startIso);
  const end = formatInstant(endIso);
  const zone = (s: string): string => s.slice(s.lastIndexOf(" "));
  if (start !== startIso && end !== endIso && zone(start) === zone(end)) {
    return `${start.slice(0, -zone(start).length)} – ${end}`;
  }
  return `${start} – ${end}`;
}

const ISO_INSTANT = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** "2026-10-01T00:00:00.000Z" → "2026-10-01 00:00 UTC"; text only, so the output never depends on the host. */
export function formatInstant(iso: string): string {
  const m = ISO_INSTANT.exec(iso);
  if (m === null) return iso;
  const [, date, time, zone] = m;
  return `${date} ${time} ${zone === "Z" ? "UTC" : `UTC${zone}`}`;
}
