import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { issueCreditNote } from "../credit-notes/issue-credit-note.ts";
import { customerCredit, invoiceAmountsDue } from "../ledger/ledger.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { getPayment } from "./get-payment.ts";
import { recordPayment } from "./record-payment.ts";
import { refundPayment } from "./refund.ts";
import { reopenedBy } from "./testing/card-money.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// The ledger property's seed 525448562, shrunk (2026-12-07): a credit note's refund returns a payment's share of
// the note's invoice with a cash line only, so the payment's receivable entries still showed that share, and
// refunding the payment's rest reopened that invoice a second time for the same money; the invoice then had no
// room left for the refund of the credit another payment had spent on it: "refund of 1 exceeds what the
// payment covered by 1", a 500 for a refund the payment said it had left.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const ctx = () => billingContext(handle, {}, new Date("2026-11-20T10:00:00Z"));
const day = new Date("2026-11-01T12:00:00Z");

describe("refunding a payment's rest after a credit note refunded part of it", () => {
  it("reopens the invoices the rest still pays, not the note's invoice a second time", async () => {
    const [customer] = await createCustomers(handle, [{ email: "rest-after-note@example.com" }]);
    const [a] = await issueInvoices(handle.db, [{ customerId: customer!, total: 1n }]);
    const [b] = await issueInvoices(handle.db, [{ customerId: customer!, total: 1893n }]);
    const pay = async (
      input: { invoice_id?: string; customer_id?: bigint; amount: bigint },
      reference: string,
    ) => (await recordPayment({ ctx: ctx(), input: { ...input, reference, paid_at: day } })).payment.id;
    const p1 = await pay({ invoice_id: b!, amount: 1n }, "p1"); // B: 1 of 1893
    const p2 = await pay({ customer_id: customer!, amount: 2n }, "p2"); // oldest first: A 1, B 1
    // B owed 1891: the note takes that off and returns its last 1 to the newest payment on B, p2.
    await issueCreditNote({
      ctx: ctx(),
      input: { invoice_id: b!, amount: 1892n, reason: "r", settlement: "refund" },
    });
    const p3 = await pay({ customer_id: customer!, amount: 1n }, "p3"); // nothing open: credit 1
    expect((await getPayment({ ctx: ctx(), input: { id: p2 } })).refunded).toBe(1n);
    expect(await customerCredit(handle.db, customer!, "USD")).toBe(1n);

    // p1's 1 reopens B (room 1893 − 1892 = 1); p3's credit pays it at once.
    const { refund: r1 } = await refundPayment({ ctx: ctx(), input: { payment_id: p1, amount: 1n } });
    expect(await reopenedBy(handle.db, r1.id)).toEqual({ [b!]: 1n });
    expect(await customerCredit(handle.db, customer!, "USD")).toBe(0n);
    // p2's rest is its 1 on A: its 1 on B is what the note returned.
    const { refund: r2 } = await refundPayment({ ctx: ctx(), input: { payment_id: p2, amount: 1n } });
    expect(await reopenedBy(handle.db, r2.id)).toEqual({ [a!]: 1n });
    // p3's 1 had paid B as credit: B owes it again.
    const { refund: r3 } = await refundPayment({ ctx: ctx(), input: { payment_id: p3, amount: 1n } });
    expect(await reopenedBy(handle.db, r3.id)).toEqual({ [b!]: 1n });

    const due = await invoiceAmountsDue(handle.db, [a!, b!]);
    expect([due.get(a!), due.get(b!)]).toEqual([1n, 1n]);
    expect(await customerCredit(handle.db, customer!, "USD")).toBe(0n);
  });
});
