import { expect } from "vitest";
import { createCustomers } from "../../testing/billing-fixtures.ts";
import type { FakeStripeEvent } from "./fake-stripe.ts";
import type { FakeStripeAccount, StripeWorld } from "./stripe-world.ts";

// A payment provider event stored failing for a reason staff can mend, made through the real webhook: a $10.00
// card payment, a refund of 600 of it recorded succeeded, then Stripe's refund of the whole 1000 (made in the
// Dashboard) while the first one's failure has not come. The books cannot take back 1600 of 1000, so the
// event fails (refund-beyond-reservations.db.test.ts) until `missing`, that failure's event, is delivered.

export interface FailingRefundEvent {
  customerId: bigint;
  payment: { id: string; reference: string };
  /** The stored failing event (refund.created), as Stripe sent it. */
  event: FakeStripeEvent;
  /** The refund's failure (refund.updated, failed) whose delivery mends the cause. */
  missing: FakeStripeEvent;
}

/** `label` makes the customer's e-mail and Stripe's refund id unique in the file's world. */
export async function failingRefundEvent(world: StripeWorld, label: string): Promise<FailingRefundEvent> {
  const [customerId] = (await createCustomers(world.handle, [{ email: `${label}@example.com` }])) as [bigint];
  const { payment } = await world.paidByCard({ customerId, total: 1000n });
  world.fake.refundStatusOnCreate = "succeeded";
  const refunded = await world.post(`/api/v1/payments/${payment.id}/refunds`, { amount: 600 }).finally(() => {
    world.fake.refundStatusOnCreate = "pending";
  });
  expect([refunded.status, refunded.body.data?.status]).toEqual([201, "succeeded"]);
  const missing = world.fake.settleRefund(refunded.body.data.provider_refund_id, "failed");
  const byHand = world.fake.addRefund({
    id: `re_${label.replace(/\W/g, "_")}`,
    amount: 1000,
    payment_intent: payment.reference,
    status: "succeeded",
  });
  const event = world.fake.event("refund.created", byHand);
  const delivered = await world.deliver(event);
  expect(delivered.status, JSON.stringify(delivered.body)).toBe(500);
  return { customerId, payment, event, missing };
}

/**
 * An event stored failing that nothing mends, for the tests that only need the failing events' page to draw its
 * Retry form (the page fuzz, the form text walk): a Checkout Session said paid without a PaymentIntent or an
 * amount, which processing refuses on every delivery and retry. Delivered through `target`'s real webhook.
 */
export async function storedFailingSession(
  account: FakeStripeAccount,
  target: { url: string },
  id: string,
): Promise<FakeStripeEvent> {
  const event = account.fake.event("checkout.session.completed", {
    id,
    object: "checkout.session",
    mode: "payment",
    payment_status: "paid",
    payment_intent: null,
    amount_total: null,
    currency: null,
  });
  const delivered = await account.deliverTo(target, event);
  if (delivered.status !== 500)
    throw new Error(`fixture failing event: ${delivered.status} ${JSON.stringify(delivered.body)}`);
  return event;
}
