import { describe, expect, it } from "vitest";
import { customerCredit, invoiceAmountsDue } from "../ledger/ledger.ts";
import { getPayment } from "./get-payment.ts";
import { cardMoneyPerFile } from "./testing/card-money-per-file.ts";
import { reopenedBy } from "./testing/card-money.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// The card ledger property's seed -572036930, shrunk (2026-12-07): a card payment's credit paid an invoice, its
// refund reopened the invoice there (the credit was spent), and the bank sent the refund back, which paid the
// invoice again as the payment's. Refunding that payment's rest then took another payment's credit, because the
// payment's credit lines still showed the credit the first refund had already taken back where it was spent;
// the other payment's refund then had no source left: "refund of 1 exceeds what the payment covered by 1", and
// its webhook failed on every delivery.

const file = cardMoneyPerFile();

describe("refunding a card payment whose refund the bank sent back", () => {
  it("takes the rest from the invoice the returned money paid, not from another payment's credit", async () => {
    const customer = await file.newCustomer("rest-after-return@example.com");
    const p1 = await file.card.pay({ customer_id: customer }, "pi_rest_after_return_1", 1n); // credit 1
    const [a] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 1n }])) as [string]; // paid by p1's credit
    // Asked once the credit is spent (a refund pending holds the credit it is to take back: before A, A stayed open).
    const r1 = await file.card.refund(p1, 1n);
    expect(await file.card.says(r1.stripeId, "succeeded")).toBe("processed");
    expect(await reopenedBy(file.handle.db, r1.id)).toEqual({ [a]: 1n }); // the credit was spent on A: A owes 1
    expect(await file.card.says(r1.stripeId, "failed")).toBe("processed"); // the bank sent it back: it pays A again
    const p2 = await file.card.pay({ customer_id: customer }, "pi_rest_after_return_2", 1n); // nothing open: credit 1
    expect(await invoiceAmountsDue(file.handle.db, [a])).toEqual(new Map([[a, 0n]]));
    expect(await customerCredit(file.handle.db, customer, "USD")).toBe(1n);

    // p1's 1 is what pays A now; p2's 1 is the credit.
    const r2 = await file.card.refund(p1, 1n);
    expect(await file.card.says(r2.stripeId, "succeeded")).toBe("processed");
    expect(await reopenedBy(file.handle.db, r2.id)).toEqual({ [a]: 1n });
    // p2's credit pays A at once; p2's refund finds it there and reopens A.
    const r3 = await file.card.refund(p2, 1n);
    expect(await file.card.says(r3.stripeId, "succeeded")).toBe("processed");
    expect(await reopenedBy(file.handle.db, r3.id)).toEqual({ [a]: 1n });

    expect(await invoiceAmountsDue(file.handle.db, [a])).toEqual(new Map([[a, 1n]]));
    expect(await customerCredit(file.handle.db, customer, "USD")).toBe(0n);
    for (const id of [p1, p2])
      expect((await getPayment({ ctx: file.ctx(), input: { id } })).refunded).toBe(1n);
  });
});
