import { type Selectable, sql } from "kysely";
import type { InvoiceStatus, PaymentTable } from "../../db/schema.ts";
import type { Tx } from "../../kernel/context.ts";
import { notifyJobWritten, signalJobsWritten } from "../../jobs/job-wakeups.ts";
import { jsonText } from "../../kernel/json.ts";
import type { InvoicePaymentRows } from "./invoice-payment-rows.ts";

/** What the payment statement found and did. */
export interface WrittenPaymentEvent {
  /** `ok`, or why nothing was written: the invoice is draft or void, or in another currency. */
  verdict: "ok" | "not_payable" | "currency";
  invoice: { status: InvoiceStatus; currency_code: string; customer_id: bigint };
  /** What the payment pays on the invoice, and what became credit. */
  allocated: bigint;
  credit: bigint;
  /** The payment row; undefined when the verdict refused it or (method, reference) was taken. */
  inserted: Selectable<PaymentTable> | undefined;
}

type Row = {
  verdict: WrittenPaymentEvent["verdict"];
  invoice_status: InvoiceStatus;
  invoice_currency: string;
  invoice_customer_id: bigint;
  allocated: bigint;
  credit: bigint;
  notified: null;
} & { [K in keyof Selectable<PaymentTable>]: Selectable<PaymentTable>[K] | null };

/**
 * A payment against one invoice (billing-rules §7) as ONE statement, so that in autocommit it is one round
 * trip and one commit. The statement is record_invoice_payment (migration 017), a plpgsql function so that
 * each connection plans it once: lock the customer, then the invoice (the order every money event keeps);
 * read what the invoice owes; check it can be paid; and only then write the payment, its ledger event
 * `pay:<id>` (cash +P, receivable −a, credit −(P − a)), the invoice's new state, its jobs (invoice.paid when
 * it reaches paid, payment.received, dunning.evaluate, in the order they run) and its audit row.
 *
 * - The amount due is read by invoice_receivable_now (migration 015) with a snapshot taken after the
 *   locks were granted: the statement's own snapshot predates any wait for them.
 * - A refused check (`verdict`) or a taken (method, reference) inserts no payment, and every other write
 *   hangs on the inserted payment: nothing at all is written.
 * - Its jobs wake the runners like any enqueue (job-wakeups.ts): the NOTIFY rides in the same statement,
 *   sent only when a payment was written, and this process's runners are signalled after it.
 * - The invoice's new state is statusForAmountDue's rule (invoice-settlement.ts); the ledger property test
 *   checks every invoice's state against that function.
 * Returns undefined when there is no such invoice.
 */
export async function writePaymentEvent(
  db: Tx,
  rows: InvoicePaymentRows,
): Promise<WrittenPaymentEvent | undefined> {
  const { payment, jobs, audit } = rows;
  const result = await sql<Row>`
    SELECT r.o_verdict AS verdict, r.o_status AS invoice_status, r.o_currency AS invoice_currency,
      r.o_customer_id AS invoice_customer_id, r.o_allocated AS allocated, r.o_credit AS credit,
      r.id, r.customer_id, r.currency_code, r.amount, r.method, r.reference, r.invoice_id, r.paid_at, r.created_at,
      CASE WHEN r.id IS NOT NULL THEN ${notifyJobWritten} END AS notified
    FROM record_invoice_payment(
      ${payment.id}, ${payment.invoice_id}, ${payment.amount}::bigint, ${payment.method}, ${payment.reference},
      ${payment.paid_at}::timestamptz, ${payment.created_at}::timestamptz, ${rows.currency ?? null}::text,
      ${jobs.paid.kind}, ${jobs.paid.ordering_key}, ${jsonText(jobs.paid.payload)}::jsonb,
      ${jobs.received.kind}, ${jobs.received.ordering_key}, ${jsonText(jobs.received.payload)}::jsonb,
      ${audit.at}::timestamptz, ${audit.actor}, ${audit.request_id}::text, ${audit.action}, ${audit.entity},
      ${audit.entity_id}, ${jsonText(audit.after)}::jsonb) r`.execute(db);
  const row = result.rows[0];
  if (!row) return undefined;
  const {
    verdict,
    invoice_status,
    invoice_currency,
    invoice_customer_id,
    allocated,
    credit,
    notified: _,
    ...inserted
  } = row;
  if (inserted.id !== null) signalJobsWritten();
  return {
    verdict,
    invoice: { status: invoice_status, currency_code: invoice_currency, customer_id: invoice_customer_id },
    allocated,
    credit,
    inserted: inserted.id === null ? undefined : (inserted as Selectable<PaymentTable>),
  };
}
