import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertCustomerRow } from "../../../test/helpers/service-test.ts";
import { customerCredit, invoiceAmountDue } from "../ledger/ledger.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { addStripeCurrencies } from "./testing/stripe-currencies.ts";
import { type StripeWorld, startStripeWorld } from "./testing/stripe-world.ts";

// Card payments in currencies whose Stripe unit is not tokenbill's minor unit (stripe-amounts.ts): ISK,
// whole krónur in tokenbill and two-decimal in Stripe, and KWD, three-decimal in both but charged and
// refunded by Stripe only in multiples of 10 fils. Until 2026-12-06 tokenbill sent its minor units as they
// were: a 690 kr invoice was a Checkout of 6.90 kr, recorded as paid in full.

let world: StripeWorld;

beforeAll(async () => {
  world = await startStripeWorld();
  await addStripeCurrencies(world.db, "ISK", "KWD");
});
afterAll(() => world?.close());

async function issued(currency: string, total: bigint) {
  const customerId = await insertCustomerRow(world.db, { currency });
  const [invoice] = (await issueInvoices(world.db, [{ customerId, total, currency }])) as [string];
  return { customerId, invoice };
}

const lastForm = (path: string) => world.fake.requests.filter((r) => r.path === path).at(-1)!.form;

describe("Stripe amounts in ISK and KWD", () => {
  it("asks Stripe for 69000 (ISK two-decimal) for a 690 kr invoice and records the 690 kr it paid", async () => {
    const { invoice } = await issued("ISK", 690n);
    const checkout = await world.server.api("POST", `/api/v1/invoices/${invoice}/checkout`);
    expect(checkout.status).toBe(201);
    expect(lastForm("/v1/checkout/sessions")["line_items"]).toMatchObject({
      "0": { price_data: { currency: "isk", unit_amount: "69000" } },
    });
    expect(checkout.body.data).toMatchObject({ amount: 690, amount_due: 690, currency: "ISK" });
    expect(world.fake.sessions.get(checkout.body.data.id)!.amount_total).toBe(69000);

    const paid = await world.deliver(world.fake.completeSession(checkout.body.data.id));
    expect(paid.body.outcome).toBe("processed");
    const payment = await world.db
      .selectFrom("payment")
      .selectAll()
      .where("invoice_id", "=", invoice)
      .executeTakeFirstOrThrow();
    expect(payment.amount).toBe(690n);
    expect(await invoiceAmountDue(world.db, invoice)).toBe(0n);

    // A refund of 345 kr is 34500 in Stripe; its settlement (34500) posts 345 kr and reopens 345 kr.
    const refund = await world.post(`/api/v1/payments/${payment.id}/refunds`, { amount: 345 });
    expect(refund.status).toBe(201);
    expect(lastForm("/v1/refunds")["amount"]).toBe("34500");
    const settled = await world.deliver(
      world.fake.settleRefund(refund.body.data.provider_refund_id, "succeeded"),
    );
    expect(settled.body.outcome).toBe("processed");
    const row = await world.db
      .selectFrom("refund")
      .select(["amount", "status"])
      .where("id", "=", refund.body.data.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ amount: 345n, status: "succeeded" });
    expect(await invoiceAmountDue(world.db, invoice)).toBe(345n);
  });

  it("rounds a 1.581 KWD checkout up to 1.590, the 0.009 KWD beyond the invoice becoming credit", async () => {
    const { customerId, invoice } = await issued("KWD", 1581n);
    const checkout = await world.server.api("POST", `/api/v1/invoices/${invoice}/checkout`);
    expect(lastForm("/v1/checkout/sessions")["line_items"]).toMatchObject({
      "0": { price_data: { currency: "kwd", unit_amount: "1590" } },
    });
    expect(checkout.body.data).toMatchObject({ amount: 1590, amount_due: 1581, currency: "KWD" });
    await world.deliver(world.fake.completeSession(checkout.body.data.id));
    expect(await invoiceAmountDue(world.db, invoice)).toBe(0n);
    expect(await customerCredit(world.db, customerId, "KWD")).toBe(9n);
  });

  it("refuses a KWD card refund Stripe cannot make (0.005 KWD) before reserving or asking Stripe", async () => {
    const { invoice } = await issued("KWD", 1580n);
    const payment = await world.payByCard(invoice);
    const asked = world.refundCalls();
    const refused = await world.post(`/api/v1/payments/${payment.id}/refunds`, { amount: 5 });
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues).toEqual([
      { field: "amount", message: "Stripe refunds KWD only in multiples of 10 (minor units; 0.010 KWD)" },
    ]);
    expect(world.refundCalls()).toBe(asked);
    const rows = await world.db
      .selectFrom("refund")
      .select("id")
      .where("payment_id", "=", payment.id)
      .execute();
    expect(rows).toEqual([]);
    // 0.010 KWD is one Stripe can make.
    const taken = await world.post(`/api/v1/payments/${payment.id}/refunds`, { amount: 10 });
    expect(taken.status).toBe(201);
    expect(lastForm("/v1/refunds")["amount"]).toBe("10");
  });

  it("refunds a credit note's 1.001 KWD card share as 1.000 through Stripe, 0.001 KWD paying the open invoice at once", async () => {
    const { customerId, invoice } = await issued("KWD", 1580n);
    await world.payByCard(invoice);
    const [open] = (await issueInvoices(world.db, [{ customerId, total: 500n, currency: "KWD" }])) as [
      string,
    ];
    const asked = world.refundCalls();
    const note = await world.post(`/api/v1/invoices/${invoice}/credit-notes`, {
      amount: 1001,
      reason: "outage",
      settlement: "refund",
    });
    expect(note.status).toBe(201);
    expect(world.refundCalls()).toBe(asked + 1);
    // Before any webhook: the 0.001 KWD no refund can take paid the open invoice with the note.
    expect(await invoiceAmountDue(world.db, open)).toBe(499n);
    expect(lastForm("/v1/refunds")["amount"]).toBe("1000");
    const refund = await world.db
      .selectFrom("refund")
      .select(["amount", "provider_refund_id"])
      .where("credit_note_id", "=", note.body.data.id)
      .executeTakeFirstOrThrow();
    expect(refund.amount).toBe(1000n);
    await world.deliver(world.fake.settleRefund(refund.provider_refund_id!, "succeeded"));
    expect(await customerCredit(world.db, customerId, "KWD")).toBe(0n);
  });
});
