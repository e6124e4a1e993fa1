import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// A pending provider refund of a payment holds, as credit nothing may spend, the part its plan would take from
// the payment's unused credit when it was asked (refund-payment.ts, spendable-credit.ts). Until 2026-12-07 only
// a credit note's card refund held credit: a payment's own refund held its refundable amount alone, its credit
// paid the next invoice meanwhile, and the refund, once Stripe made it, reopened that invoice. The index holds
// only the few pending rows that hold credit, read per customer through the payment's key.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `ALTER TABLE refund ADD COLUMN credit_held bigint NOT NULL DEFAULT 0 CHECK (credit_held >= 0);
     CREATE INDEX refund_credit_held ON refund (payment_id) WHERE status = 'pending' AND credit_held > 0;`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `DROP INDEX IF EXISTS refund_credit_held;
     ALTER TABLE refund DROP COLUMN IF EXISTS credit_held;`,
  );
}
