import { sql } from "kysely";
import type { LedgerAccount, LedgerEventKind } from "../../db/schema.ts";
import { columnList, type UnnestColumn, unnestRows } from "../../db/unnest-rows.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { Db, Tx } from "../../kernel/context.ts";

// The ledger (billing-rules §7): every movement of money or credit is an entry; the entries of one event
// sum to zero (checked here and again by the database at commit). Accounts, per customer and currency:
//   receivable  + the customer owes (always on one invoice)
//   credit      − tokenbill owes the customer (a credit balance is −Σ credit)
//   cash        + money received, − money returned
//   sales       − revenue, + revenue taken back (credit notes)
// An invoice's amount due, a customer's credit and balance are sums of entries, never stored counters.

export interface LedgerLine {
  account: LedgerAccount;
  amount: bigint;
  invoiceId?: string | null;
  paymentId?: string | null;
  refundId?: string | null;
  creditNoteId?: string | null;
}

export interface LedgerEvent {
  /** Unique per business event, e.g. `pay:pay_…`, `fin:inv_…`; all its lines share it. */
  id: string;
  kind: LedgerEventKind;
  customerId: bigint;
  currency: string;
  at: Date;
  lines: LedgerLine[];
}

/** Writes one event's entries, refusing an event that does not sum to zero. Zero lines are dropped. */
export async function postLedgerEvent(trx: Tx, event: LedgerEvent): Promise<void> {
  await postLedgerEvents(trx, [event]);
}

/**
 * Several events in one statement, however many (a finalization batch posts thousands of entries): the rows
 * travel as one JSON parameter (src/db/unnest-rows.ts), which PostgreSQL plans in constant time, where a
 * VALUES list of eleven parameters a row was planned value by value.
 */
export async function postLedgerEvents(trx: Tx, events: readonly LedgerEvent[]): Promise<void> {
  const rows = ledgerEntryRows(events);
  if (rows.length === 0) return;
  await sql`INSERT INTO ledger_entry (${columnList(ENTRY_COLUMNS)}) ${unnestRows(ENTRY_COLUMNS, rows)}`.execute(
    trx,
  );
}

type EntryRow = ReturnType<typeof ledgerEntryRows>[number];

const ENTRY_COLUMNS: UnnestColumn<EntryRow>[] = [
  { name: "event_id", type: "text", value: (r) => r.event_id },
  { name: "event_kind", type: "text", value: (r) => r.event_kind },
  { name: "customer_id", type: "bigint", value: (r) => r.customer_id },
  { name: "currency_code", type: "text", value: (r) => r.currency_code },
  { name: "account", type: "text", value: (r) => r.account },
  { name: "invoice_id", type: "text", value: (r) => r.invoice_id },
  { name: "payment_id", type: "text", value: (r) => r.payment_id },
  { name: "refund_id", type: "text", value: (r) => r.refund_id },
  { name: "credit_note_id", type: "text", value: (r) => r.credit_note_id },
  { name: "amount", type: "bigint", value: (r) => r.amount },
  { name: "created_at", type: "timestamptz", value: (r) => r.created_at.toISOString() },
];

/**
 * The ledger_entry rows of events, as postLedgerEvents writes them: for a caller that writes them inside a
 * larger statement (a payment's). Refuses an event that does not sum to zero; zero lines are dropped.
 */
export function ledgerEntryRows(events: readonly LedgerEvent[]) {
  return events.flatMap((event) => {
    const sum = event.lines.reduce((s, l) => s + l.amount, 0n);
    if (sum !== 0n) {
      throw new ServiceError("INTERNAL", `ledger event ${event.id} does not sum to zero (${sum})`);
    }
    return event.lines
      .filter((l) => l.amount !== 0n)
      .map((l) => ({
        event_id: event.id,
        event_kind: event.kind,
        customer_id: event.customerId,
        currency_code: event.currency,
        account: l.account,
        invoice_id: l.invoiceId ?? null,
        payment_id: l.paymentId ?? null,
        refund_id: l.refundId ?? null,
        credit_note_id: l.creditNoteId ?? null,
        amount: l.amount,
        created_at: event.at,
      }));
  });
}

/** An invoice's amount due: its receivable entries. */
export async function invoiceAmountDue(db: Db | Tx, invoiceId: string): Promise<bigint> {
  const row = await db
    .selectFrom("ledger_entry")
    .select(sql<bigint>`coalesce(sum(amount), 0)::bigint`.as("due"))
    .where("invoice_id", "=", invoiceId)
    .where("account", "=", "receivable")
    .executeTakeFirst();
  return BigInt(row?.due ?? 0n);
}

/** What credit notes took off an invoice's amount due (their receivable entries); the rest of a note went to credit. */
export async function invoiceCreditedAmount(db: Db | Tx, invoiceId: string): Promise<bigint> {
  const row = await db
    .selectFrom("ledger_entry")
    .select(sql<bigint>`coalesce(-sum(amount), 0)::bigint`.as("credited"))
    .where("invoice_id", "=", invoiceId)
    .where("account", "=", "receivable")
    .where("event_kind", "=", "credit_note")
    .executeTakeFirst();
  return BigInt(row?.credited ?? 0n);
}

/** Amounts due of many invoices at once (lists); an invoice with no entry is absent. */
export async function invoiceAmountsDue(
  db: Db | Tx,
  invoiceIds: readonly string[],
): Promise<Map<string, bigint>> {
  if (invoiceIds.length === 0) return new Map();
  const rows = await db
    .selectFrom("ledger_entry")
    .select(["invoice_id", sql<bigint>`sum(amount)::bigint`.as("due")])
    .where("invoice_id", "in", invoiceIds)
    .where("account", "=", "receivable")
    .groupBy("invoice_id")
    .execute();
  return new Map(rows.map((r) => [r.invoice_id as string, BigInt(r.due)]));
}

// A customer's sums run over all its entries, however many: each entry fits int8, but their sum need not
// (rows written before the limit of a money input, src/domain/money.ts, held up to 9.2 × 10^18 each). So
// they stay PostgreSQL's numeric (sum(int8) is numeric), which both drivers hand over as its exact digits,
// and become a bigint here; casting the sum to int8 failed with "bigint out of range". An invoice's sums
// (amount due) stay int8: its entries never add up to more than its total.

/** The customer's credit in a currency: what tokenbill owes them (≥ 0 in a sound ledger). */
export async function customerCredit(db: Db | Tx, customerId: bigint, currency: string): Promise<bigint> {
  const row = await db
    .selectFrom("ledger_entry")
    .select(sql<string>`coalesce(-sum(amount), 0)`.as("credit"))
    .where("customer_id", "=", customerId)
    .where("currency_code", "=", currency)
    .where("account", "=", "credit")
    .executeTakeFirst();
  return BigInt(row?.credit ?? 0);
}

/** The customer's balance in a currency: Σ receivable − credit (positive: they owe; negative: in credit). */
export async function customerBalance(db: Db | Tx, customerId: bigint, currency: string): Promise<bigint> {
  const row = await db
    .selectFrom("ledger_entry")
    .select(sql<string>`coalesce(sum(amount), 0)`.as("balance"))
    .where("customer_id", "=", customerId)
    .where("currency_code", "=", currency)
    .where("account", "in", ["receivable", "credit"])
    .executeTakeFirst();
  return BigInt(row?.balance ?? 0);
}
