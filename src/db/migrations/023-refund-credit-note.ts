import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// A refund made by a credit note (billing-rules §7, "a credit note on a paid invoice becomes credit, or a
// refund when asked") names it. A card payment's share cannot be returned inside the credit note's
// transaction: the provider must move the money first. So the credit note leaves that share as credit and
// asks the provider afterwards; the refund, settled later by the provider's webhook, then takes back that
// credit instead of reopening the invoice the credit note has just corrected. The credit note's answer lists
// its refunds through this column too.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `ALTER TABLE refund ADD COLUMN credit_note_id text REFERENCES credit_note (id);
     CREATE INDEX refund_credit_note ON refund (credit_note_id) WHERE credit_note_id IS NOT NULL;`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `DROP INDEX IF EXISTS refund_credit_note;
     ALTER TABLE refund DROP COLUMN IF EXISTS credit_note_id;`,
  );
}
