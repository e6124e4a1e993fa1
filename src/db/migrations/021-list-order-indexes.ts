import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// The order of two lists that grow with the book, for the list unfiltered (the console's invoice and payment
// pages, `GET /api/v1/invoices` and `/payments` without filters) or, for invoices, filtered by period alone:
// - invoice: period newest first, then customer;
// - payment: newest first (paid_at, then id).
// Without them PostgreSQL read the whole table and sorted it for every page. With a million invoices (one
// period of a million customers, vacuumed, 2026-12-03) the unfiltered invoice list took 286 ms for page 1 and
// 1.26 s for page 10,000, which sorted on disk; with its index 53 and 166 ms, most of it the count of all
// million, which reads the index instead of the table.
// invoice_period_status (period, status, customer_id, migration 004) goes: a filter by period and status, and
// a billing run's finalizing batches (a period's drafts in customer order), are served by invoice_status
// (status, period DESC, customer_id, migration 016), and by period alone by invoice_list_order. Every invoice
// a run drafts and finalizes passes through each index: with the new one added and none dropped, a billing
// run of 100,000 customers took about 7 % longer (2026-12-03, alternating runs); with this one dropped, 0–10 %
// in four pairs of runs on a machine that slowed meanwhile, mean 4 %.
// IF NOT EXISTS: on a large database an operator may build them beforehand with CREATE INDEX CONCURRENTLY under
// these names (docs/operations.md), so that the migration does not hold writes while it builds.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE INDEX IF NOT EXISTS invoice_list_order ON invoice (period DESC, customer_id);
    CREATE INDEX IF NOT EXISTS payment_list_order ON payment (paid_at DESC, id DESC);
    DROP INDEX IF EXISTS invoice_period_status;
    `,
  );
}
