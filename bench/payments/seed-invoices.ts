import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { Database } from "../../src/db/schema.ts";

export const INVOICE_TOTAL = 1000n; // $10.00, paid in two parts by the benchmark

/**
 * `count` USD customers with one finalized $10.00 invoice each, and the `fin:` ledger event finalization
 * posts (receivable +total, sales −total), written in bulk: the benchmark measures payments, not billing.
 * The first `overdue` customers' invoices are due 2026-11-15, the others' 2026-12-31.
 */
export async function seedOpenInvoices(
  db: Kysely<Database>,
  count: number,
  overdue = count,
): Promise<string[]> {
  await sql`
    INSERT INTO billing_run (id, period, period_start, period_end, source, state, phase, actor, started_at, heartbeat_at)
    VALUES ('run_0be4c0', '2026-10', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z', 'bench', 'completed', 'done',
            'bench', now(), now())`.execute(db);
  await sql`
    INSERT INTO customer (email, name, country, currency_code, tax_exempt)
    SELECT 'payer' || n || '@example.com', 'Payer ' || n, 'US', 'USD', false FROM generate_series(1, ${count}) n`.execute(
    db,
  );
  await sql`
    INSERT INTO invoice (id, customer_id, period, period_start, period_end, status, number, number_sequence,
      number_value, customer_name, customer_email, customer_country, currency_code, currency,
      base_token_unit_cost, tax_compound, tax_exempt, tokens, subtotal, discount_total, net, tax_total, total,
      fingerprint, billing_run_id, issue_date, due_date, finalized_at)
    SELECT 'inv_' || lpad(to_hex(c.id), 16, '0'), c.id, '2026-10', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z',
      'finalized', 'INV-2026-' || lpad(c.id::text, 6, '0'), 'INV-2026', c.id, c.name, c.email, c.country, 'USD',
      '{"code":"USD","exponent":2,"displayPrefix":"$","displaySuffix":"","thousandsSeparator":",","decimalsSeparator":"."}'::jsonb, 0.001, false, false, 1000000,
      ${INVOICE_TOTAL}, 0, ${INVOICE_TOTAL}, 0, ${INVOICE_TOTAL}, 'bench', 'run_0be4c0', '2026-11-01',
      CASE WHEN c.id <= ${overdue} THEN '2026-11-15' ELSE '2026-12-31' END, now()
    FROM customer c WHERE c.email LIKE 'payer%'`.execute(db);
  await sql`
    INSERT INTO ledger_entry (event_id, event_kind, customer_id, currency_code, account, invoice_id, amount)
    SELECT 'fin:' || i.id, 'invoice_finalized', i.customer_id, 'USD', a.account, i.id, a.amount
    FROM invoice i, LATERAL (VALUES ('receivable', i.total), ('sales', -i.total)) AS a (account, amount)`.execute(
    db,
  );
  const rows = await db.selectFrom("invoice").select("id").orderBy("id").execute();
  return rows.map((r) => r.id);
}
