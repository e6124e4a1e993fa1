import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { up } from "../../db/migrations/049-money-before-2026-12-07.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { customerStatement } from "./statement.ts";
import { customerStatementPage } from "./statement-page.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// Until 2026-12-07 a billing run's insert and a payment's could draw one customer's ledger ids at once: the
// payment's cash row, then the run's invoice rows, then the payment's credit row. The statement page keys an
// event by its first row and brings forward the balance rows below its oldest event's first row, so on the page
// that began with the invoice the payment's credit row was not brought forward. Migration 049 keeps such rows.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => {
  await handle?.close();
});

const ctx = () => billingContext(handle);

type Row = { event: string; kind: string; account: string; amount: bigint; invoice?: string };

/** Ledger rows written one by one in the order given, as two transactions drawing ids at once wrote them. */
async function writeInOrder(customer: bigint, rows: Row[]) {
  await handle.db.transaction().execute(async (trx) => {
    for (const r of rows) {
      await sql`INSERT INTO ledger_entry (event_id, event_kind, customer_id, currency_code, account, invoice_id, amount)
        VALUES (${r.event}, ${r.kind}, ${customer}, 'USD', ${r.account}, ${r.invoice ?? null}, ${r.amount})`.execute(
        trx,
      );
    }
  });
}

/** Every event's running balance, read a page of one event at a time, newest page first, as the portal walks. */
async function walkedBalances(customer: bigint): Promise<Record<string, bigint>> {
  const out: Record<string, bigint> = {};
  let before: bigint | undefined;
  for (;;) {
    const page = await customerStatementPage(ctx(), customer, { limit: 1, count: false, before });
    for (const e of page.entries) out[e.event_id] = e.balance;
    if (!page.more || page.oldest === null) return out;
    before = BigInt(page.oldest);
  }
}

describe("the statement page over ledger rows written at once before 2026-12-07", () => {
  it("brings forward an older event's balance row that lies above a later event's first row", async () => {
    const [customer] = (await createCustomers(handle, [{ email: "late-rows@example.com" }])) as [bigint];
    const [invoice] = (await issueInvoices(handle.db, [{ customerId: customer, total: 1234n }], {
      draftOnly: true,
    })) as [string];
    const pay = `test:late-pay-${customer}`;
    const fin = `fin:${invoice}`;
    const later = `test:later-pay-${customer}`;
    await writeInOrder(customer, [
      { event: pay, kind: "payment", account: "cash", amount: 500n },
      { event: fin, kind: "invoice_finalized", account: "receivable", amount: 1234n, invoice: invoice },
      { event: fin, kind: "invoice_finalized", account: "sales", amount: -1234n },
      { event: pay, kind: "payment", account: "credit", amount: -500n },
      { event: later, kind: "payment", account: "cash", amount: 100n },
      { event: later, kind: "payment", account: "credit", amount: -100n },
    ]);
    await up(handle.db as unknown as Kysely<unknown>);
    await up(handle.db as unknown as Kysely<unknown>); // again: nothing more

    const whole = await customerStatement(ctx(), customer);
    expect(Object.fromEntries(whole.entries.map((e) => [e.event_id, e.balance]))).toEqual({
      [pay]: -500n,
      [fin]: 734n,
      [later]: 634n,
    });
    expect(await walkedBalances(customer)).toEqual({ [pay]: -500n, [fin]: 734n, [later]: 634n });
    const late = await handle.db
      .selectFrom("ledger_late_entry")
      .select(["amount"])
      .where("customer_id", "=", customer)
      .execute();
    expect(late).toEqual([{ amount: -500n }]);
  });
});
