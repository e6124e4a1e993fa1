import { type Kysely, sql } from "kysely";
import type { DatabaseHandle } from "../../../db/open-database.ts";
import type { Database } from "../../../db/schema.ts";
import { billingContext, createCustomers } from "../../testing/billing-fixtures.ts";
import { customerStatementPage } from "../statement-page.ts";
import { issueInvoices } from "./invoice-fixtures.ts";

// Ledger rows written the way an instance of a version before 2026-12-07 wrote them (two events of one customer
// drawing ids at once), and what the statement page and ledger_late_entry then say: for the tests of
// housekeeping's pass over the late rows (ledger-late-rows.ts).

export type LedgerRow = { event: string; kind: string; account: string; amount: bigint; invoice?: string };

/** Ledger rows inserted one by one in the order given, on `db` (a transaction the caller holds, or not). */
export async function insertRows(
  db: Kysely<Database>,
  customer: bigint,
  rows: LedgerRow[],
): Promise<bigint[]> {
  const ids: bigint[] = [];
  for (const r of rows) {
    const { rows: out } = await sql<{ id: bigint }>`
      INSERT INTO ledger_entry (event_id, event_kind, customer_id, currency_code, account, invoice_id, amount)
      VALUES (${r.event}, ${r.kind}, ${customer}, 'USD', ${r.account}, ${r.invoice ?? null}, ${r.amount})
      RETURNING id`.execute(db);
    ids.push(BigInt(out[0]!.id));
  }
  return ids;
}

/** Ledger rows written in the order given in one transaction, as an old instance's two transactions drew ids. */
export async function writeInOrder(
  db: Kysely<Database>,
  customer: bigint,
  rows: LedgerRow[],
): Promise<bigint[]> {
  return db.transaction().execute((trx) => insertRows(trx, customer, rows));
}

/** A customer with a draft invoice of 12.34 and the event ids a payment, its finalization and a later payment use. */
export async function customerWithDraft(handle: DatabaseHandle, email: string) {
  const [customer] = (await createCustomers(handle, [{ email }])) as [bigint];
  const [invoice] = (await issueInvoices(handle.db, [{ customerId: customer, total: 1234n }], {
    draftOnly: true,
  })) as [string];
  return {
    customer,
    invoice,
    pay: `test:pay-${customer}`,
    fin: `fin:${invoice}`,
    later: `test:later-${customer}`,
  };
}

/** A payment's cash row, then a finalization's rows, then the payment's credit row; then a later payment. */
export async function interleaved(handle: DatabaseHandle, email: string) {
  const c = await customerWithDraft(handle, email);
  await writeInOrder(handle.db, c.customer, [
    { event: c.pay, kind: "payment", account: "cash", amount: 500n },
    { event: c.fin, kind: "invoice_finalized", account: "receivable", amount: 1234n, invoice: c.invoice },
    { event: c.fin, kind: "invoice_finalized", account: "sales", amount: -1234n },
    { event: c.pay, kind: "payment", account: "credit", amount: -500n },
    { event: c.later, kind: "payment", account: "cash", amount: 100n },
    { event: c.later, kind: "payment", account: "credit", amount: -100n },
  ]);
  return c;
}

/** Every event's running balance, read a page of one event at a time, newest first, as the portal walks. */
export async function walkedBalances(
  handle: DatabaseHandle,
  customer: bigint,
): Promise<Record<string, bigint>> {
  const out: Record<string, bigint> = {};
  let before: bigint | undefined;
  for (;;) {
    const page = await customerStatementPage(billingContext(handle), customer, {
      limit: 1,
      count: false,
      before,
    });
    for (const e of page.entries) out[e.event_id] = e.balance;
    if (!page.more || page.oldest === null) return out;
    before = BigInt(page.oldest);
  }
}

/** The customers' rows in ledger_late_entry, by entry id. */
export const lateOf = async (db: Kysely<Database>, customers: bigint[]) =>
  (
    await db
      .selectFrom("ledger_late_entry")
      .select(["entry_id", "customer_id", "event_first", "amount"])
      .where("customer_id", "in", customers)
      .orderBy("entry_id")
      .execute()
  ).map((r) => ({ ...r, entry_id: String(r.entry_id), event_first: String(r.event_first) }));

/** Housekeeping's watermark (migration 050). */
export const watermark = (db: Kysely<Database>) =>
  db.selectFrom("ledger_late_scan").selectAll().executeTakeFirstOrThrow();
