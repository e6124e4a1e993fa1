import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { backendPid, untilLockWaiters } from "../../../test/helpers/lock-waiters.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { postLedgerEvent } from "../ledger/ledger.ts";
import { finalizeInvoices } from "../runs/finalize-invoices.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { lockCustomerForMoney } from "./invoice-settlement.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// The statement keys an event by its first ledger row and brings forward the balance rows below a page's first
// key (statement-event-keys.ts): right only while a customer's events are written one at a time, each after the
// one before it. Money events hold the customer (lockCustomerForMoney); a billing run's finalization holds its
// customers before it writes. Until 2026-12-07 the run took its customers only through the ledger's foreign
// key, once its insert had drawn the rows' ids, so a payment holding the customer wrote its rows after the run's
// and committed first. PostgreSQL only: PGlite runs one transaction at a time, so nothing there is written at once.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => {
  await handle?.close();
});

const now = new Date("2026-11-01T01:00:00Z");

describe.runIf(process.env["DATABASE_URL"])("one customer's ledger events", () => {
  it("are written one at a time: a billing run waits for a money event holding the customer before any row", async () => {
    const [customer] = await createCustomers(handle, [{ email: "event-order@example.com" }]);
    const [draft] = await issueInvoices(
      handle.db,
      [{ customerId: customer!, total: 1234n, period: "2026-09" }],
      {
        now,
        draftOnly: true,
      },
    );
    // A money event as every one is made: the customer held, then its rows, then the commit, when let go.
    let letGo = () => {};
    const released = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    let held = (_pid: number) => {};
    const holder = new Promise<number>((resolve) => {
      held = resolve;
    });
    const moneyEvent = handle.db.transaction().execute(async (trx) => {
      await lockCustomerForMoney(trx, customer!);
      held(await backendPid(trx));
      await released;
      await postLedgerEvent(trx, {
        id: `test:held-${customer}`,
        kind: "payment",
        customerId: customer!,
        currency: "USD",
        at: now,
        lines: [
          { account: "cash", amount: 500n },
          { account: "credit", amount: -500n },
        ],
      });
    });
    const pid = await holder;
    const run = handle.db.transaction().execute((trx) =>
      finalizeInvoices(trx, {
        period: "2026-09",
        limit: 10,
        issueDate: "2026-11-01",
        paymentTermsDays: 14,
        format: "EO2026-09-{000000}",
        now,
        applyCredit: false,
      }),
    );
    run.catch(() => {}); // awaited below
    try {
      await untilLockWaiters(handle.db, pid, 1, "the run waiting for the money event's customer", run);
    } finally {
      letGo();
    }
    await moneyEvent;
    expect((await run).finalized).toBe(1);
    const rows = await handle.db
      .selectFrom("ledger_entry")
      .select("event_id")
      .where("customer_id", "=", customer!)
      .orderBy("id")
      .execute();
    // The event that held the customer first, then the run's: in the order they were committed, none among another's.
    expect(rows.map((r) => r.event_id)).toEqual([
      `test:held-${customer}`,
      `test:held-${customer}`,
      `fin:${draft}`,
      `fin:${draft}`,
    ]);
  });
});
