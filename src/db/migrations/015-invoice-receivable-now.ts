import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// A payment against an invoice is one autocommitted statement (src/billing/payments/write-payment-event.ts)
// that locks the customer and the invoice and then reads what the invoice owes. A statement's snapshot
// predates any wait for those locks, so that read would miss a money event that committed meanwhile.
// invoice_receivable_now reads the invoice's receivable sums with a snapshot of its own: PostgreSQL gives
// each query of a VOLATILE function a fresh snapshot in READ COMMITTED (docs: "Function Volatility
// Categories"). It is plpgsql so that it is never inlined into the caller and its plan is cached.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE FUNCTION invoice_receivable_now(p_invoice_id text, OUT due bigint, OUT credit_noted bigint)
      LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      SELECT coalesce(sum(e.amount), 0)::bigint,
             coalesce(-sum(e.amount) FILTER (WHERE e.event_kind = 'credit_note'), 0)::bigint
        INTO due, credit_noted
        FROM ledger_entry e WHERE e.invoice_id = p_invoice_id AND e.account = 'receivable'
    ; END $$;
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `DROP FUNCTION invoice_receivable_now(text);`);
}
