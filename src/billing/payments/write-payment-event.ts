import { type Selectable, sql } from "kysely";
import type { InvoiceStatus, PaymentTable } from "../../db/schema.ts";
import type { Tx } from "../../kernel/context.ts";
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
} & { [K in keyof Selectable<PaymentTable>]: Selectable<PaymentTable>[K] | null };

/**
 * A payment against one invoice (billing-rules §7) as ONE statement, so that in autocommit it is one round
 * trip and one commit: lock the customer, then the invoice (the order every money event keeps); read what
 * the invoice owes; check it can be paid; and only then write the payment, its ledger event `pay:<id>`
 * (cash +P, receivable −a, credit −(P − a)), the invoice's new state, its jobs (invoice.paid when it
 * reaches paid, payment.received, dunning.evaluate, in the order they run) and its audit row.
 *
 * - The amount due is read by invoice_receivable_now (migration 015) with a snapshot taken after the
 *   locks were granted: this statement's own snapshot predates any wait for them.
 * - A refused check (`verdict`) or a taken (method, reference) inserts no payment, and every other write
 *   hangs on the inserted payment: nothing at all is written.
 * - The invoice's new state is statusForAmountDue's rule (invoice-settlement.ts); the ledger property test
 *   checks every invoice's state against that function.
 * Returns undefined when there is no such invoice.
 */
export async function writePaymentEvent(
  db: Tx,
  rows: InvoicePaymentRows,
): Promise<WrittenPaymentEvent | undefined> {
  const { payment, jobs, audit } = rows;
  const amount = sql`${payment.amount}::bigint`;
  const now = sql`${payment.created_at}::timestamptz`;
  const result = await sql<Row>`
    WITH locked AS MATERIALIZED (
      SELECT i.id, i.customer_id, i.status, i.currency_code, i.total
      FROM invoice i
      WHERE i.id = ${payment.invoice_id}
        AND i.customer_id = (SELECT c.id FROM customer c WHERE c.id = i.customer_id FOR UPDATE)
      FOR UPDATE OF i
    ), owed AS MATERIALIZED (
      SELECT l.*, r.due, r.credit_noted,
        CASE WHEN l.status IN ('draft', 'void') THEN 'not_payable'
             WHEN ${rows.currency ?? null}::text <> l.currency_code THEN 'currency'
             ELSE 'ok' END AS verdict,
        (CASE WHEN r.due > 0 THEN least(${amount}, r.due) ELSE 0 END)::bigint AS allocated
      FROM locked l CROSS JOIN LATERAL invoice_receivable_now(l.id) r
    ), plan AS (
      SELECT o.*, ${amount} - o.allocated AS credit,
        -- Only an invoice the payment allocated to is looked at again.
        CASE WHEN o.allocated = 0 THEN o.status
             WHEN o.total = 0 THEN 'finalized'
             WHEN o.due - o.allocated <= 0 THEN 'paid'
             WHEN o.total - o.credit_noted - (o.due - o.allocated) > 0 THEN 'partially_paid'
             ELSE 'finalized' END AS new_status
      FROM owed o
    ), p AS (
      INSERT INTO payment (id, customer_id, currency_code, amount, method, reference, invoice_id, paid_at, created_at)
      SELECT ${payment.id}, s.customer_id, s.currency_code, ${amount}, ${payment.method}, ${payment.reference},
        s.id, ${payment.paid_at}::timestamptz, ${now}
      FROM plan s WHERE s.verdict = 'ok'
      ON CONFLICT ON CONSTRAINT payment_method_reference DO NOTHING
      RETURNING *
    ), l AS (
      INSERT INTO ledger_entry (event_id, event_kind, customer_id, currency_code, account, invoice_id, payment_id,
        amount, created_at)
      SELECT 'pay:' || p.id, 'payment', p.customer_id, p.currency_code, e.account, e.invoice_id, p.id, e.amount, ${now}
      FROM p CROSS JOIN plan s CROSS JOIN LATERAL (VALUES
        (1, 'cash', NULL, p.amount), (2, 'receivable', s.id, -s.allocated), (3, 'credit', NULL, -s.credit)
      ) AS e (n, account, invoice_id, amount)
      WHERE e.amount <> 0
      ORDER BY e.n
    ), u AS (
      UPDATE invoice i SET status = s.new_status, updated_at = ${now}
      FROM plan s WHERE i.id = s.id AND s.new_status <> s.status AND EXISTS (SELECT 1 FROM p)
    ), j AS (
      -- Job ids follow n: jobs sharing an ordering key run in id order.
      INSERT INTO job (kind, ordering_key, payload)
      SELECT x.kind, x.ordering_key, x.payload
      FROM p CROSS JOIN plan s CROSS JOIN LATERAL (VALUES
        (1, ${jobs.paid.kind}, ${jobs.paid.ordering_key}, ${jsonText(jobs.paid.payload)}::jsonb,
          s.new_status = 'paid' AND s.status <> 'paid'),
        (2, ${jobs.received.kind}, ${jobs.received.ordering_key}, ${jsonText(jobs.received.payload)}::jsonb, true),
        -- dunningEvaluationJob (invoice-settlement.ts): the customer is only known here.
        (3, 'dunning.evaluate', 'dunning:' || s.customer_id, jsonb_build_object('customer_id', s.customer_id::text), true)
      ) AS x (n, kind, ordering_key, payload, wanted)
      WHERE x.wanted
      ORDER BY x.n
    ), a AS (
      INSERT INTO audit_log (at, actor, request_id, action, entity, entity_id, before, after)
      SELECT ${audit.at}::timestamptz, ${audit.actor}, ${audit.request_id}::text, ${audit.action}, ${audit.entity},
        ${audit.entity_id}, NULL, ${jsonText(audit.after)}::jsonb || jsonb_build_object(
          'currency', s.currency_code,
          'customer_id', s.customer_id::text,
          'allocations', CASE WHEN s.allocated > 0
            THEN jsonb_build_array(jsonb_build_object('invoice_id', s.id, 'amount', s.allocated::text))
            ELSE '[]'::jsonb END,
          'credit', s.credit::text,
          'invoice_states', CASE WHEN s.new_status <> s.status
            THEN jsonb_build_array(jsonb_build_object('id', s.id, 'from', s.status, 'to', s.new_status))
            ELSE '[]'::jsonb END)
      FROM p CROSS JOIN plan s
    )
    SELECT s.verdict, s.status AS invoice_status, s.currency_code AS invoice_currency,
      s.customer_id AS invoice_customer_id, s.allocated, s.credit,
      p.id, p.customer_id, p.currency_code, p.amount, p.method, p.reference, p.invoice_id, p.paid_at, p.created_at
    FROM plan s LEFT JOIN p ON true`.execute(db);
  const row = result.rows[0];
  if (!row) return undefined;
  const { verdict, invoice_status, invoice_currency, invoice_customer_id, allocated, credit, ...inserted } =
    row;
  return {
    verdict,
    invoice: { status: invoice_status, currency_code: invoice_currency, customer_id: invoice_customer_id },
    allocated,
    credit,
    inserted: inserted.id === null ? undefined : (inserted as Selectable<PaymentTable>),
  };
}
