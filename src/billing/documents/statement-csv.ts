import { Decimal } from "../../domain/decimal.ts";
import type { StatementDocument } from "./statement-document.ts";

// A statement as CSV (RFC 4180): a header row, one row per entry, CRLF line ends, fields quoted when they
// hold a comma, a quote or a line break (quotes doubled). Amounts come twice: as exact decimal strings in
// the currency's major unit with its exponent ("10.20", "-4.00", "1000" for JPY) and as integer minor
// units, so a spreadsheet and a program each read the column that suits them. No thousands separators,
// "." for decimals, whatever the currency's display format. A `credit_applied` row's amount is the credit
// moved onto an invoice; the balance does not change with it, so sum `amount` over the other kinds only
// (or read `balance`, the running balance of billing-rules §7).

export const STATEMENT_CSV_COLUMNS = [
  "date",
  "kind",
  "reference",
  "currency",
  "amount",
  "amount_minor",
  "balance",
  "balance_minor",
  // Last, so that readers of the columns before it are unchanged: a payment's own date when it is not `date`.
  "received",
  // Then a refund's way back: the method of the payment it returned money of, as the API's `refund_method`,
  // and in the statement's words ("paid back by bank transfer"); both empty on other rows.
  "refund_method",
  "refunded_how",
] as const;

type StatementCsvColumn = (typeof STATEMENT_CSV_COLUMNS)[number];

/** What each column holds, for the API's description of the CSV: a column added above and not here fails to compile. */
const STATEMENT_CSV_COLUMN_MEANINGS: Record<StatementCsvColumn, string> = {
  date: "the day it was recorded, YYYY-MM-DD in BILLING_TIME_ZONE",
  kind: "invoice, payment, refund, credit_note or credit_applied",
  reference:
    "the invoice or credit note number, the payment's method and reference, the refund ids; a cell a spreadsheet would run as a formula starts with '",
  currency: "the customer's currency (ISO 4217)",
  amount:
    'what it changed in the balance (+ owed, − paid or credited) as an exact decimal in the currency\'s major unit ("10.20", "-4.00"); on credit_applied, the credit moved onto the invoice, which leaves the balance as it is',
  amount_minor: "the amount in integer minor units",
  balance: "the running balance after it, as an exact decimal",
  balance_minor: "the running balance in integer minor units",
  received: "a payment's own date when it is not `date` (recorded days after it arrived); empty otherwise",
  refund_method:
    "a refund's way back, as the JSON statement's refund_method: the method of the payment it returned money of (stripe, bank_transfer, cash, …); empty on other rows",
  refunded_how:
    'that in the statement\'s words ("refunded", "paid back by bank transfer", "refund failed"); empty on other rows',
};

/** The columns as a Markdown list, in the CSV's order, "- `date`: …" a line. */
export function statementCsvColumnList(): string {
  return STATEMENT_CSV_COLUMNS.map((c) => `- \`${c}\`: ${STATEMENT_CSV_COLUMN_MEANINGS[c]}`).join("\n");
}

export function statementCsv(doc: StatementDocument): string {
  const exponent = doc.currency.exponent;
  const decimal = (minor: bigint): string => Decimal.of(minor, exponent).toFixed(exponent);
  const rows = [
    [...STATEMENT_CSV_COLUMNS],
    ...doc.entries.map((e) => [
      e.date,
      e.kind,
      textCell(e.reference),
      doc.currency.code,
      decimal(e.amount),
      e.amount.toString(),
      decimal(e.balance),
      e.balance.toString(),
      e.received ?? "",
      textCell(e.refund?.method ?? ""),
      textCell(e.refund?.words ?? ""),
    ]),
  ];
  return rows.map((row) => `${row.map(csvField).join(",")}\r\n`).join("");
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * A text cell a spreadsheet would run as a formula ("=HYPERLINK(…)", "+1", "@SUM") is prefixed with "'"
 * (the usual CSV-injection guard): references are typed by staff or come from payment providers.
 * Amounts are never text cells, so a negative amount keeps its "-".
 */
function textCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
