import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { customerCredit, invoiceAmountsDue } from "../ledger/ledger.ts";
import { paymentProviderOf } from "../providers/provider-from-config.ts";
import { type FakeStripeAccount, startFakeStripeAccount } from "../providers/testing/stripe-world.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { getPayment } from "./get-payment.ts";
import { type CardMoney, cardMoney, reopenedBy } from "./testing/card-money.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// The card ledger property's seed -572036930, shrunk (2026-12-07): a card payment's credit paid an invoice, its
// refund reopened the invoice there (the credit was spent), and the bank sent the refund back, which paid the
// invoice again as the payment's. Refunding that payment's rest then took another payment's credit, because the
// payment's credit lines still showed the credit the first refund had already taken back where it was spent;
// the other payment's refund then had no source left: "refund of 1 exceeds what the payment covered by 1", and
// its webhook failed on every delivery.

let handle: DatabaseHandle;
let stripe: FakeStripeAccount;
let card: CardMoney;
beforeAll(async () => {
  handle = await createTestDatabase();
  stripe = await startFakeStripeAccount();
  const provider = (await paymentProviderOf(ctx().config))!;
  card = cardMoney({ db: handle.db, account: stripe, provider, ctx });
});
afterAll(async () => {
  await stripe?.close();
  await handle?.close();
});

const ctx = () => billingContext(handle, stripe.settings, new Date("2026-11-20T10:00:00Z"));

describe("refunding a card payment whose refund the bank sent back", () => {
  it("takes the rest from the invoice the returned money paid, not from another payment's credit", async () => {
    const [customer] = (await createCustomers(handle, [{ email: "rest-after-return@example.com" }])) as [
      bigint,
    ];
    const p1 = await card.pay({ customer_id: customer }, "pi_rest_after_return_1", 1n); // credit 1
    const [a] = (await issueInvoices(handle.db, [{ customerId: customer, total: 1n }])) as [string]; // paid by p1's credit
    // Asked once the credit is spent (a refund pending holds the credit it is to take back: before A, A stayed open).
    const r1 = await card.refund(p1, 1n);
    expect(await card.says(r1.stripeId, "succeeded")).toBe("processed");
    expect(await reopenedBy(handle.db, r1.id)).toEqual({ [a]: 1n }); // the credit was spent on A: A owes 1
    expect(await card.says(r1.stripeId, "failed")).toBe("processed"); // the bank sent it back: it pays A again
    const p2 = await card.pay({ customer_id: customer }, "pi_rest_after_return_2", 1n); // nothing open: credit 1
    expect(await invoiceAmountsDue(handle.db, [a])).toEqual(new Map([[a, 0n]]));
    expect(await customerCredit(handle.db, customer, "USD")).toBe(1n);

    // p1's 1 is what pays A now; p2's 1 is the credit.
    const r2 = await card.refund(p1, 1n);
    expect(await card.says(r2.stripeId, "succeeded")).toBe("processed");
    expect(await reopenedBy(handle.db, r2.id)).toEqual({ [a]: 1n });
    // p2's credit pays A at once; p2's refund finds it there and reopens A.
    const r3 = await card.refund(p2, 1n);
    expect(await card.says(r3.stripeId, "succeeded")).toBe("processed");
    expect(await reopenedBy(handle.db, r3.id)).toEqual({ [a]: 1n });

    expect(await invoiceAmountsDue(handle.db, [a])).toEqual(new Map([[a, 1n]]));
    expect(await customerCredit(handle.db, customer, "USD")).toBe(0n);
    for (const id of [p1, p2]) expect((await getPayment({ ctx: ctx(), input: { id } })).refunded).toBe(1n);
  });
});
