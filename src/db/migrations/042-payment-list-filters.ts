import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// The payments list filtered by method or currency (`GET /api/v1/payments?method=…&currency=…`, the console's
// payments page), in the list's order (paid_at DESC, id DESC), each served by one index: a page, a received
// date range and a cursor's next page are then a range of it. Without them a rare method (manual among card
// payments) was found through payment_method_reference (method, reference) and sorted for every page, and a
// rare currency read every payment through payment_list_order, checking each. A date range alone is a range
// of payment_list_order (migration 021), a customer's of payment_customer (migration 013).
// IF NOT EXISTS: on a large database an operator may build them beforehand with CREATE INDEX CONCURRENTLY under
// these names (docs/operations.md), so that this migration does not hold writes while it builds them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE INDEX IF NOT EXISTS payment_method_list ON payment (method, paid_at DESC, id DESC);
    CREATE INDEX IF NOT EXISTS payment_currency_list ON payment (currency_code, paid_at DESC, id DESC);
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP INDEX IF EXISTS payment_currency_list;
    DROP INDEX IF EXISTS payment_method_list;
    `,
  );
}
