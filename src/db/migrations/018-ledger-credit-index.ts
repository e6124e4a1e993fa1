import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// The credit a customer holds is the sum of its `credit` entries (billing-rules §7). Finalization asks it of
// every customer in a batch (apply-credit.ts), and payments and refunds of one customer: through the
// customer index (013) that read all of a customer's entries, which grow by a few every month, to find the
// rare credit ones. This partial index holds only the credit entries, so the question costs what the credit
// history is, not what the whole history is; receivable, sales and cash entries never touch it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `CREATE INDEX IF NOT EXISTS ledger_entry_credit ON ledger_entry (customer_id, currency_code) INCLUDE (amount)
       WHERE account = 'credit';`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP INDEX IF EXISTS ledger_entry_credit;");
}
