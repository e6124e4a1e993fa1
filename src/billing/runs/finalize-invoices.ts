import { type SelectQueryBuilder, sql } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Tx } from "../../kernel/context.ts";
import { emitInvoiceEvents } from "../invoices/emit-invoice-event.ts";
import { applyCreditAtFinalization } from "../payments/apply-credit.ts";
import { type LedgerEvent, postLedgerEvents } from "../ledger/ledger.ts";
import { addDays } from "./calendar-date.ts";
import { lockNumberCounter, numberSequence, setNumberCounter } from "./invoice-number.ts";

export interface FinalizeBatchResult {
  finalized: number;
  first: string | null;
  last: string | null;
  /** The last customer finalized: the next batch starts after it. */
  lastCustomer: bigint | null;
}

export interface FinalizeBatchInput {
  period: string;
  limit: number;
  /**
   * Keyset: only drafts of customers after this one. A run passes the last customer of its previous batch,
   * so no batch walks the index entries of the invoices finalized before it.
   */
  after?: bigint;
  /** And up to this customer, inclusive: a range the run measured out for this batch (finalize-all.ts). */
  upTo?: bigint | undefined;
  issueDate: string;
  paymentTermsDays: number;
  format: string;
  now: Date;
  /** CREDIT_APPLY_ON_FINALIZE (billing-rules §7): the customer's credit pays the new invoice; default on. */
  applyCredit?: boolean;
  /**
   * Resolves when this batch may take numbers: when the run's batch before it has committed. Its drafts are
   * locked and their ledger entries and jobs written before it is awaited, so that the work of several
   * batches runs at once and only the numbering waits its turn (finalize-all.ts). Absent: the batch numbers
   * at once.
   */
  turn?: () => Promise<void>;
}

/**
 * Finalizes the drafts of a period in a range of customers inside the caller's transaction: locks them, posts
 * what each customer now owes to the ledger, announces them, and then, in its turn, numbers them in
 * customer-id order from the sequence's counter, which stays locked until commit, so numbers are handed out
 * without gaps or repeats and move with the status: a failure rolls back both (billing-rules §5).
 */
export async function finalizeInvoices(trx: Tx, input: FinalizeBatchInput): Promise<FinalizeBatchResult> {
  let query = trx
    .selectFrom("invoice")
    .select(["id", "customer_id", "currency_code", "total"])
    .where("period", "=", input.period)
    .where("status", "=", "draft")
    .where("customer_id", ">", input.after ?? 0n);
  if (input.upTo !== undefined) query = query.where("customer_id", "<=", input.upTo);
  const batch = query.orderBy("customer_id").limit(input.limit);
  const applyCredit = input.applyCredit ?? true;
  if (applyCredit) await lockCreditHolders(trx, batch);
  const shared = await shareBatchCustomers(trx, batch);
  const locked = await batch.forUpdate().execute();
  // A draft that joined the batch between the two statements: its customer is held now, still before any row.
  const late = [...new Set(locked.map((d) => d.customer_id))].filter((id) => !shared.has(id));
  if (late.length > 0)
    await trx.selectFrom("customer").select("id").where("id", "in", late).forKeyShare().execute();
  // A row another transaction held is read again once it is free, and may then come back out of order.
  const drafts = locked.sort((a, b) =>
    a.customer_id < b.customer_id ? -1 : a.customer_id > b.customer_id ? 1 : 0,
  );
  if (drafts.length === 0) {
    await input.turn?.();
    return { finalized: 0, first: null, last: null, lastCustomer: null };
  }

  // Checked as each statement ends rather than at commit: the check's work is then done before the turn.
  await sql`SET CONSTRAINTS ledger_event_balanced IMMEDIATE`.execute(trx);
  // The ledger learns what each customer now owes (event `fin:<invoice>`: receivable +T, sales −T) in
  // the same transaction, so an amount due exists exactly when the invoice is issued.
  const finalized: LedgerEvent[] = drafts.map((n) => ({
    id: `fin:${n.id}`,
    kind: "invoice_finalized",
    customerId: n.customer_id,
    currency: n.currency_code,
    at: input.now,
    lines: [
      { account: "receivable", amount: n.total, invoiceId: n.id },
      { account: "sales", amount: -n.total, invoiceId: n.id },
    ],
  }));
  await postLedgerEvents(trx, finalized);
  // Announced in this transaction: one `invoice.event` per invoice, which delivery turns into e-mail and
  // webhooks when it runs.
  await emitInvoiceEvents(trx, {
    event: "invoice.finalized",
    invoiceIds: drafts.map((n) => n.id),
    at: input.now,
  });

  await input.turn?.();
  const sequence = numberSequence(input.format, input.issueDate);
  const last = await lockNumberCounter(trx, sequence.key);
  const dueDate = addDays(input.issueDate, input.paymentTermsDays);
  const numbered = drafts.map((d, i) => {
    const value = last + BigInt(i + 1);
    return { ...d, value, number: sequence.format(value) };
  });
  await sql`
    UPDATE invoice SET status = 'finalized', number = v.number, number_sequence = ${sequence.key},
      number_value = v.value::bigint, issue_date = ${input.issueDate}, due_date = ${dueDate},
      finalized_at = ${input.now}, updated_at = ${input.now}
    FROM (VALUES ${sql.join(numbered.map((n) => sql`(${n.id}, ${n.number}, ${n.value.toString()})`))}) AS v (id, number, value)
    WHERE invoice.id = v.id`.execute(trx);
  await setNumberCounter(trx, sequence.key, last + BigInt(numbered.length));
  // After `invoice.finalized`, so an invoice's `invoice.paid` (paid by credit) is announced after it.
  if (applyCredit) await applyCreditAtFinalization(trx, numbered, input.now);
  return {
    finalized: numbered.length,
    first: numbered[0]!.number,
    last: numbered.at(-1)!.number,
    lastCustomer: numbered.at(-1)!.customer_id,
  };
}

/**
 * Holds every customer of the batch's drafts (in id order, before the drafts) FOR KEY SHARE until commit, the
 * lock the ledger's foreign key takes on each row's customer anyway, but only at the end of the insert, once its
 * ids are drawn. Taken before any row is written, it waits for a money event that holds the customer
 * (lockCustomerForMoney, FOR UPDATE) and makes one that comes later wait, so a customer's ledger events are
 * never written at once (statement-event-keys.ts); until 2026-12-07 a payment's rows could be drawn among the
 * run's. Shared, so it does not stop a change to the customer's own columns.
 */
async function shareBatchCustomers(
  trx: Tx,
  batch: SelectQueryBuilder<Database, "invoice", { customer_id: bigint }>,
): Promise<Set<bigint>> {
  const rows = await trx
    .selectFrom("customer")
    .select("id")
    .where("id", "in", batch.clearSelect().select("invoice.customer_id"))
    .orderBy("id")
    .forKeyShare()
    .execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * Locks, in id order, the customers of the batch's drafts who hold credit, before the drafts themselves. Every
 * money event locks the customer and then its invoice (invoice-settlement.ts); a finalizer that held the drafts
 * and then asked for the customer to apply its credit met a payment, credit note or mark-paid of the same
 * draft the other way round, and PostgreSQL ended one of the two (a 503 to send again). Holding the customer
 * first makes the request wait for the run, or the run for the request, and both go through. A customer who
 * gains credit after this statement is still locked by the credit step (apply-credit.ts), after its drafts: a
 * window of one batch's statements, where the deadlock answer stays the 503.
 */
async function lockCreditHolders(
  trx: Tx,
  batch: SelectQueryBuilder<Database, "invoice", { customer_id: bigint }>,
): Promise<void> {
  await trx
    .selectFrom("customer")
    .select("id")
    .where("id", "in", (eb) =>
      eb
        .selectFrom("ledger_entry")
        .select("ledger_entry.customer_id")
        .where("account", "=", "credit")
        .where("ledger_entry.customer_id", "in", batch.clearSelect().select("invoice.customer_id"))
        .groupBy(["ledger_entry.customer_id", "currency_code"])
        .having(sql`sum(amount)`, "<", 0),
    )
    .orderBy("id")
    .forUpdate()
    .execute();
}
