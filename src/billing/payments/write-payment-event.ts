import { type Selectable, sql } from "kysely";
import type { PaymentTable } from "../../db/schema.ts";
import type { Tx } from "../../kernel/context.ts";
import { jsonText } from "../../kernel/json.ts";
import type { InvoicePaymentRows } from "./invoice-payment-rows.ts";

export interface WrittenPaymentEvent {
  /** false: the invoice's receivable entries are not what the rows were computed from; nothing written. */
  basisHeld: boolean;
  /** The payment row, or undefined when (method, reference) was taken: nothing written either. */
  inserted: Selectable<PaymentTable> | undefined;
}

/**
 * Writes a payment against an invoice in one statement (one round trip instead of nine): the payment, then —
 * only when it was inserted — its ledger entries, the invoice's new state, its jobs and its audit row.
 *
 * Two guards, both evaluated with this statement's snapshot, taken while the caller holds the customer and
 * invoice locks:
 * - `basis`: the invoice's receivable sums are still those the rows were computed from. They were read in
 *   the statement that took the locks, whose snapshot predates any wait for them; if a concurrent money
 *   event committed meanwhile, nothing is written and the caller reads again (now fresh) and retries.
 * - `payment_method_reference`: a repeated or concurrently recorded (method, reference) inserts no payment,
 *   and every other part depends on the inserted payment row, so nothing at all is written.
 *
 * Rows travel as one JSON parameter per table, typed by the table's own row type (jsonb_populate_record),
 * so each column gets exactly the value and type a plain INSERT of the same row would give it.
 */
export async function writePaymentEvent(trx: Tx, rows: InvoicePaymentRows): Promise<WrittenPaymentEvent> {
  const { basis, invoiceStatus } = rows;
  const paid = sql`EXISTS (SELECT 1 FROM p)`;
  const setStatus = invoiceStatus
    ? sql`, s AS (
        UPDATE invoice SET status = ${invoiceStatus.to}, updated_at = ${rows.payment.created_at}
        WHERE id = ${invoiceStatus.id} AND ${paid}
      )`
    : sql``;
  const result = await sql<{ basis_held: boolean } & Partial<Selectable<PaymentTable>>>`
    WITH basis AS (
      SELECT coalesce(sum(amount), 0) = ${basis.due}
         AND coalesce(-sum(amount) FILTER (WHERE event_kind = 'credit_note'), 0) = ${basis.creditNoted} AS held
      FROM ledger_entry WHERE invoice_id = ${basis.invoiceId} AND account = 'receivable'
    ), p AS (
      INSERT INTO payment (id, customer_id, currency_code, amount, method, reference, invoice_id, paid_at, created_at)
      SELECT r.id, r.customer_id, r.currency_code, r.amount, r.method, r.reference, r.invoice_id, r.paid_at, r.created_at
      FROM jsonb_populate_record(NULL::payment, ${jsonText(rows.payment)}::jsonb) AS r
      WHERE (SELECT held FROM basis)
      ON CONFLICT ON CONSTRAINT payment_method_reference DO NOTHING
      RETURNING *
    ), l AS (
      INSERT INTO ledger_entry (event_id, event_kind, customer_id, currency_code, account, invoice_id, payment_id,
        refund_id, credit_note_id, amount, created_at)
      SELECT r.event_id, r.event_kind, r.customer_id, r.currency_code, r.account, r.invoice_id, r.payment_id,
        r.refund_id, r.credit_note_id, r.amount, r.created_at
      FROM jsonb_populate_recordset(NULL::ledger_entry, ${jsonText(rows.ledger)}::jsonb) AS r
      WHERE ${paid}
    )${setStatus}, j AS (
      -- Job ids follow the list: jobs sharing an ordering key run in id order.
      INSERT INTO job (kind, ordering_key, payload, slot, run_after)
      SELECT r.kind, r.ordering_key, r.payload, r.slot, coalesce(r.run_after, now())
      FROM jsonb_populate_recordset(NULL::job, ${jsonText(rows.jobs)}::jsonb) WITH ORDINALITY AS r
      WHERE ${paid}
      ORDER BY r.ordinality
      ON CONFLICT (slot) DO NOTHING
    ), a AS (
      INSERT INTO audit_log (at, actor, request_id, action, entity, entity_id, before, after)
      SELECT r.at, r.actor, r.request_id, r.action, r.entity, r.entity_id, r.before, r.after
      FROM jsonb_populate_record(NULL::audit_log, ${jsonText(rows.audit)}::jsonb) AS r
      WHERE ${paid}
    )
    SELECT basis.held AS basis_held, p.* FROM basis LEFT JOIN p ON true`.execute(trx);
  const row = result.rows[0];
  if (!row) throw new Error("the payment statement returned no row");
  const { basis_held, ...payment } = row;
  return {
    basisHeld: basis_held,
    inserted:
      payment.id === undefined || payment.id === null ? undefined : (payment as Selectable<PaymentTable>),
  };
}
