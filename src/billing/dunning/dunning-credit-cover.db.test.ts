import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { postLedgerEvent } from "../ledger/ledger.ts";
import { billingContext } from "../testing/billing-fixtures.ts";
import { createDunCustomer, issueInvoice } from "./dunning-fixtures.ts";
import { evaluateCustomerDunning, unpaidInvoices } from "./evaluate-dunning.ts";

// Dunning over books that already hold credit beside an open invoice (written before money events applied
// such credit at once, docs/payments.md "Credit"): credit in a currency counts against that currency's
// invoices, earliest due first, and a customer whose credit covers what is overdue has nothing overdue
// (docs/dunning.md). Until 2026-12-06 such a customer, in net credit, was locked and suspended.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const SUSPENSION = new Date("2026-12-01T10:00:00Z"); // +16 days from 2026-11-15
const ctx = () => billingContext(handle, {}, SUSPENSION);

/** Credit as older books hold it: money received that nothing allocated, beside the open invoice. */
async function legacyCredit(customerId: bigint, amount: bigint, currency = "USD") {
  await handle.db.transaction().execute((trx) =>
    postLedgerEvent(trx, {
      id: `open:legacy-${customerId}-${currency}`,
      kind: "opening",
      customerId,
      currency,
      at: SUSPENSION,
      lines: [
        { account: "cash", amount },
        { account: "credit", amount: -amount },
      ],
    }),
  );
}
async function statusOf(id: bigint) {
  const row = await handle.db
    .selectFrom("customer")
    .select("status")
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  return row.status;
}

describe("credit beside an overdue invoice", () => {
  it("leaves nothing overdue when it covers the overdue amounts: no episode, no lock, no suspension", async () => {
    const c = await createDunCustomer(handle.db, { email: "covered@example.com" });
    await issueInvoice(handle.db, { customerId: c, total: 300n, dueDate: "2026-11-15" });
    await issueInvoice(handle.db, { customerId: c, total: 200n, dueDate: "2026-11-20" });
    await legacyCredit(c, 500n);
    expect(await evaluateCustomerDunning(ctx(), c, SUSPENSION)).toEqual([]);
    expect(await statusOf(c)).toBe("active");
    expect(await unpaidInvoices(handle.db, c)).toEqual([]);
  });

  it("covers the earliest first: what it leaves of the rest is what dunning counts, and from when", async () => {
    const c = await createDunCustomer(handle.db, { email: "part@example.com" });
    await issueInvoice(handle.db, { customerId: c, total: 300n, dueDate: "2026-11-15" });
    const later = await issueInvoice(handle.db, { customerId: c, total: 200n, dueDate: "2026-11-28" });
    await legacyCredit(c, 350n);
    // The first invoice is covered; 150 of the second is left, overdue since 11-28 (+3): an overdue e-mail, no lock.
    expect(await unpaidInvoices(handle.db, c)).toMatchObject([{ id: later, amount_due: 150n }]);
    const steps = await evaluateCustomerDunning(ctx(), c, SUSPENSION);
    expect(steps.map((s) => s.step)).toEqual(["reminder", "first_overdue"]);
    expect(steps[1]?.details["amount_due"]).toBe("150");
    expect(await statusOf(c)).toBe("active");
  });

  it("suspends when the credit covers only part of what is overdue", async () => {
    const c = await createDunCustomer(handle.db, { email: "short@example.com" });
    await issueInvoice(handle.db, { customerId: c, total: 300n, dueDate: "2026-11-15" });
    await legacyCredit(c, 299n);
    const steps = await evaluateCustomerDunning(ctx(), c, SUSPENSION);
    expect(await statusOf(c)).toBe("suspended");
    expect(steps[0]?.details["amount_due"]).toBe("1");
  });

  it("counts credit only against invoices of its own currency", async () => {
    const c = await createDunCustomer(handle.db, { email: "other-currency@example.com" });
    await issueInvoice(handle.db, { customerId: c, total: 300n, dueDate: "2026-11-15" });
    await legacyCredit(c, 1000n, "EUR");
    await evaluateCustomerDunning(ctx(), c, SUSPENSION);
    expect(await statusOf(c)).toBe("suspended");
  });
});
