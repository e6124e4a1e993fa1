import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// A customer's balance is the sum of its receivable and credit entries (billing-rules §7), and the portal's
// statement page sums those older than the page into the balance brought forward (statement-page.ts) on every
// view. Through the customer index (013) both read every entry of the customer from the table, cash and sales
// ones included, to add up half of them. This partial index holds the entries the balance is made of with their
// amount, in id order within the customer and currency, so both sums are an index-only scan of it, and the sum
// below a page's first entry is a range of it. The sums stay O(the customer's history), at a few dozen bytes an
// entry; a stored running balance was not chosen (docs/performance.md, "The statement page").
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `CREATE INDEX IF NOT EXISTS ledger_entry_balance ON ledger_entry (customer_id, currency_code, id) INCLUDE (amount)
       WHERE account IN ('receivable', 'credit');`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP INDEX IF EXISTS ledger_entry_balance;");
}
