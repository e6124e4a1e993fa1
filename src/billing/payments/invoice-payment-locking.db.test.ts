import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendPid, untilLockWaiters } from "../../../test/helpers/lock-waiters.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { customerCredit, invoiceAmountDue } from "../ledger/ledger.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { lockCustomerForMoney } from "./invoice-settlement.ts";
import { recordPayment, recordPaymentIn } from "./record-payment.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// A payment against an invoice locks the customer and the invoice and reads the amount due in one
// statement, whose snapshot predates any wait for those locks. Here a payment waits for a concurrent money
// event that pays most of the invoice meanwhile: it must allocate only what is left. PostgreSQL only —
// PGlite has one connection, so nothing ever waits there.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const ctx = () => billingContext(handle, {}, new Date("2026-11-20T10:00:00Z"));

describe.runIf(process.env["DATABASE_URL"])("a payment that waited for the customer's lock", () => {
  it("allocates what the invoice owes once the other money event committed, not what it owed before", async () => {
    const [c] = await createCustomers(handle, [{ email: "waiter@example.com" }]);
    const [inv] = await issueInvoices(handle.db, [{ customerId: c!, total: 1000n }]);

    let waiting: ReturnType<typeof recordPayment> | undefined;
    await handle.db.transaction().execute(async (trx) => {
      await lockCustomerForMoney(trx, c!);
      const holder = await backendPid(trx);
      waiting = recordPayment({
        ctx: ctx(),
        input: { invoice_id: inv!, amount: 500n, method: "manual", reference: "waits" },
      });
      waiting.catch(() => {}); // awaited below; a rejection before then is not unhandled
      await untilLockWaiters(
        handle.db,
        holder,
        1,
        "the second payment to wait for the customer's lock",
        waiting,
      );
      await recordPaymentIn(
        trx,
        { ...ctx(), db: trx },
        {
          invoice_id: inv!,
          amount: 700n,
          method: "manual",
          reference: "first",
        },
      );
    });
    const second = await waiting!;

    expect(second.created).toBe(true);
    expect(second.payment.allocations).toEqual([{ invoice_id: inv, amount: 300n }]);
    expect(second.payment.credit).toBe(200n);
    expect(await invoiceAmountDue(handle.db, inv!)).toBe(0n);
    expect(await customerCredit(handle.db, c!, "USD")).toBe(200n);
    const status = await handle.db
      .selectFrom("invoice")
      .select("status")
      .where("id", "=", inv!)
      .executeTakeFirstOrThrow();
    expect(status.status).toBe("paid");
  });
});
