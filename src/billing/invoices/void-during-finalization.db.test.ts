import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendPid, untilLockWaiters } from "../../../test/helpers/lock-waiters.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { customerBalance, invoiceAmountDue } from "../ledger/ledger.ts";
import { recordPayment } from "../payments/record-payment.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { finalizeInvoices } from "../runs/finalize-invoices.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { voidInvoice } from "./void-invoice.ts";

// Staff void a draft while a billing run's finalizer holds it. The void waits for the draft's row and finds
// it issued once the finalizer commits: it is refused, nothing changed, the invoice owed as issued. Until
// 2026-12-05 it was voided as the draft it had read before the wait, its finalization left in the ledger (the
// customer owed a void invoice's total); and when the customer held credit, the finalizer's lock of the
// customer (to apply that credit) met the void's, taken first, and PostgreSQL failed the void on a deadlock.
// PostgreSQL only: PGlite runs one transaction at a time, so nothing waits there.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const now = new Date("2026-11-01T01:00:00Z");
const ctx = () => billingContext(handle, {}, now);

/**
 * Inside the finalizer's transaction (trx), voids the draft and returns once the void waits for it (wrapped:
 * an async function returning the promise itself would wait for it to settle).
 */
async function voidWhileHeld(trx: Parameters<typeof finalizeInvoices>[0], id: string) {
  const holder = await backendPid(trx);
  const voiding = voidInvoice({ ctx: ctx(), input: { id, reason: "billed by mistake" } });
  voiding.catch(() => {}); // awaited by the caller
  await untilLockWaiters(handle.db, holder, 1, "the void to wait for the finalizer's lock", voiding);
  return { voiding };
}

const finalize = (trx: Parameters<typeof finalizeInvoices>[0], period: string) =>
  finalizeInvoices(trx, {
    period,
    limit: 10,
    issueDate: "2026-11-01",
    paymentTermsDays: 14,
    format: `RACE-${period}-{000000}`,
    now,
  });

describe.runIf(process.env["DATABASE_URL"])("a draft voided while the finalizer holds it", () => {
  it("is refused once the finalizer has issued it, which leaves the invoice owed as issued", async () => {
    const [c] = await createCustomers(handle, [{ email: "void-race@example.com" }]);
    const [draft] = await issueInvoices(handle.db, [{ customerId: c!, total: 1234n, period: "2026-09" }], {
      now,
      draftOnly: true,
    });
    let voiding: Promise<unknown> | undefined;
    await handle.db.transaction().execute(async (trx) => {
      expect((await finalize(trx, "2026-09")).finalized).toBe(1);
      ({ voiding } = await voidWhileHeld(trx, draft!));
    });
    await expect(voiding).rejects.toMatchObject({ code: "CONFLICT" });
    const invoice = await handle.db
      .selectFrom("invoice")
      .select(["status", "number"])
      .where("id", "=", draft!)
      .executeTakeFirstOrThrow();
    expect(invoice).toEqual({ status: "finalized", number: "RACE-2026-09-000001" });
    expect(await invoiceAmountDue(handle.db, draft!)).toBe(1234n);
    expect(await customerBalance(handle.db, c!, "USD")).toBe(1234n);
    // Sent again, it voids the issued invoice and takes its finalization back.
    await voidInvoice({ ctx: ctx(), input: { id: draft!, reason: "billed by mistake" } });
    expect(await customerBalance(handle.db, c!, "USD")).toBe(0n);
  });

  it("does not deadlock with the finalizer applying the customer's credit", async () => {
    const [c] = await createCustomers(handle, [{ email: "void-credit@example.com" }]);
    await recordPayment({
      ctx: billingContext(handle, {}, new Date("2026-11-20T00:00:00Z")),
      input: { customer_id: c!, amount: 500n, reference: "void-credit" },
    });
    const [draft] = await issueInvoices(handle.db, [{ customerId: c!, total: 1234n, period: "2026-08" }], {
      now,
      draftOnly: true,
    });
    let voiding: Promise<unknown> | undefined;
    await handle.db.transaction().execute(async (trx) => {
      // The finalizer's first statement locks the drafts; the void then waits, and the finalizer goes on to
      // lock the customer to apply its credit.
      await trx.selectFrom("invoice").select("id").where("id", "=", draft!).forUpdate().execute();
      ({ voiding } = await voidWhileHeld(trx, draft!));
      expect((await finalize(trx, "2026-08")).finalized).toBe(1);
    });
    await expect(voiding).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await invoiceAmountDue(handle.db, draft!)).toBe(734n);
    expect(await customerBalance(handle.db, c!, "USD")).toBe(734n);
  });
});
