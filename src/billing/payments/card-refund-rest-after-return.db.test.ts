import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { customerCredit, invoiceAmountsDue } from "../ledger/ledger.ts";
import type { PaymentProvider } from "../providers/payment-provider.ts";
import { processProviderEvent } from "../providers/process-provider-event.ts";
import { paymentProviderOf } from "../providers/provider-from-config.ts";
import { signedWebhook } from "../providers/testing/fake-stripe.ts";
import { type FakeStripeAccount, startFakeStripeAccount } from "../providers/testing/stripe-world.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { getPayment } from "./get-payment.ts";
import { recordPayment } from "./record-payment.ts";
import { refundPayment } from "./refund.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// The card ledger property's seed -572036930, shrunk (2026-12-07): a card payment's credit paid an invoice, its
// refund reopened the invoice there (the credit was spent), and the bank sent the refund back, which paid the
// invoice again as the payment's. Refunding that payment's rest then took another payment's credit, because the
// payment's credit lines still showed the credit the first refund had already taken back where it was spent;
// the other payment's refund then had no source left: "refund of 1 exceeds what the payment covered by 1", and
// its webhook failed on every delivery.

let handle: DatabaseHandle;
let stripe: FakeStripeAccount;
let provider: PaymentProvider;
beforeAll(async () => {
  handle = await createTestDatabase();
  stripe = await startFakeStripeAccount();
  provider = (await paymentProviderOf(ctx().config))!;
});
afterAll(async () => {
  await stripe?.close();
  await handle?.close();
});

const ctx = () => billingContext(handle, stripe.settings, new Date("2026-11-20T10:00:00Z"));

/** A card payment to the customer of `amount`, and the Checkout session Stripe took it in. */
async function cardPayment(customerId: bigint, reference: string, amount: bigint): Promise<string> {
  const { payment } = await recordPayment({
    ctx: ctx(),
    input: {
      customer_id: customerId,
      amount,
      method: "stripe",
      reference,
      paid_at: new Date("2026-11-01T12:00:00Z"),
    },
  });
  stripe.fake.sessions.set(`cs_${reference}`, {
    id: `cs_${reference}`,
    object: "checkout.session",
    mode: "payment",
    status: "complete",
    payment_status: "paid",
    amount_total: Number(amount),
    currency: "usd",
    client_reference_id: null,
    customer_email: null,
    metadata: {},
    payment_intent: reference,
    success_url: null,
    cancel_url: null,
    url: `https://checkout.stripe.com/c/pay/cs_${reference}`,
    livemode: false,
    created: Math.floor(Date.now() / 1000),
  });
  return payment.id;
}

/** Refunds `amount` of a card payment through Stripe: pending, linked to Stripe's refund. */
async function cardRefund(paymentId: string, amount: bigint) {
  const { refund } = await refundPayment({ ctx: ctx(), input: { payment_id: paymentId, amount } });
  const row = await handle.db
    .selectFrom("refund")
    .select(["id", "status", "provider_refund_id"])
    .where("id", "=", refund.id)
    .executeTakeFirstOrThrow();
  expect(row.status).toBe("pending");
  return { id: row.id, stripeId: row.provider_refund_id as string };
}

/** Stripe's signed refund.updated webhook, processed as the webhook route processes it. */
async function stripeSays(stripeRefundId: string, status: "succeeded" | "failed") {
  const { body, headers } = signedWebhook(
    stripe.fake.settleRefund(stripeRefundId, status),
    stripe.webhookSecret,
  );
  return processProviderEvent(ctx(), provider, provider.parseWebhook(Buffer.from(body), headers));
}

/** What a refund's ledger event put back on each invoice (receivable +). */
async function reopenedBy(refundId: string): Promise<Record<string, bigint>> {
  const rows = await handle.db
    .selectFrom("ledger_entry")
    .select(["invoice_id", "amount"])
    .where("event_id", "=", `ref:${refundId}`)
    .where("account", "=", "receivable")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.invoice_id as string, r.amount]));
}

describe("refunding a card payment whose refund the bank sent back", () => {
  it("takes the rest from the invoice the returned money paid, not from another payment's credit", async () => {
    const [customer] = (await createCustomers(handle, [{ email: "rest-after-return@example.com" }])) as [
      bigint,
    ];
    const p1 = await cardPayment(customer, "pi_rest_after_return_1", 1n); // credit 1
    const [a] = (await issueInvoices(handle.db, [{ customerId: customer, total: 1n }])) as [string]; // paid by p1's credit
    // Asked once the credit is spent (a refund pending holds the credit it is to take back: before A, A stayed open).
    const r1 = await cardRefund(p1, 1n);
    expect(await stripeSays(r1.stripeId, "succeeded")).toBe("processed");
    expect(await reopenedBy(r1.id)).toEqual({ [a]: 1n }); // the credit was spent on A: A owes 1
    expect(await stripeSays(r1.stripeId, "failed")).toBe("processed"); // the bank sent it back: it pays A again
    const p2 = await cardPayment(customer, "pi_rest_after_return_2", 1n); // nothing open: credit 1
    expect(await invoiceAmountsDue(handle.db, [a])).toEqual(new Map([[a, 0n]]));
    expect(await customerCredit(handle.db, customer, "USD")).toBe(1n);

    // p1's 1 is what pays A now; p2's 1 is the credit.
    const r2 = await cardRefund(p1, 1n);
    expect(await stripeSays(r2.stripeId, "succeeded")).toBe("processed");
    expect(await reopenedBy(r2.id)).toEqual({ [a]: 1n });
    // p2's credit pays A at once; p2's refund finds it there and reopens A.
    const r3 = await cardRefund(p2, 1n);
    expect(await stripeSays(r3.stripeId, "succeeded")).toBe("processed");
    expect(await reopenedBy(r3.id)).toEqual({ [a]: 1n });

    expect(await invoiceAmountsDue(handle.db, [a])).toEqual(new Map([[a, 1n]]));
    expect(await customerCredit(handle.db, customer, "USD")).toBe(0n);
    for (const id of [p1, p2]) expect((await getPayment({ ctx: ctx(), input: { id } })).refunded).toBe(1n);
  });
});
