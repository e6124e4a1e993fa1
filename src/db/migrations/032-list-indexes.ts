import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// One customer's invoices in the list's order (`GET /api/v1/invoices?customer_id=…`, the console's customer
// page; the portal's list reads them by it too). Their only index by customer, invoice_customer_period_unique,
// is partial since migration 027 (released_at IS NULL), which the list does not filter on: PostgreSQL walked
// the whole of invoice_status instead, checking customer_id in each entry (600,495 invoices, 2026-12-06: 440 ms
// for a customer's 6, the count 128 ms).
// IF NOT EXISTS: on a large database an operator may build it beforehand with CREATE INDEX CONCURRENTLY under
// this name (docs/operations.md), so that this migration does not hold writes while it builds.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    "CREATE INDEX IF NOT EXISTS invoice_customer_list ON invoice (customer_id, period DESC, id);",
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP INDEX IF EXISTS invoice_customer_list;");
}
