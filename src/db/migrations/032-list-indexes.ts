import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// Two list filters that read more than their matches (test/db-indexes.db.test.ts checks each):
// - invoice: one customer's invoices in the list's order (`GET /api/v1/invoices?customer_id=…`, the console's
//   customer page; the portal's list reads them by it too). Their only index by customer,
//   invoice_customer_period_unique, is partial since migration 027 (released_at IS NULL), which the list does
//   not filter on: PostgreSQL walked the whole of invoice_status instead, checking customer_id in each entry
//   (600,495 invoices, 2026-12-06: 440 ms for a customer's 6, the count 128 ms);
// - solusio_call: the calls SolusIO answered with one status (`GET /api/v1/solusio/calls?status=500`), newest
//   first (the list's id order); migration 016 indexed only the failed ones, so this filter read the table.
// IF NOT EXISTS: on a large database an operator may build them beforehand with CREATE INDEX CONCURRENTLY
// under these names (docs/operations.md), so that this migration does not hold writes while it builds them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE INDEX IF NOT EXISTS invoice_customer_list ON invoice (customer_id, period DESC, id);
    CREATE INDEX IF NOT EXISTS solusio_call_status ON solusio_call (status, id);
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP INDEX IF EXISTS solusio_call_status;
    DROP INDEX IF EXISTS invoice_customer_list;
    `,
  );
}
