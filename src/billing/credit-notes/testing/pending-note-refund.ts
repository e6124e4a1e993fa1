import { expect } from "vitest";
import type { StripeWorld } from "../../providers/testing/stripe-world.ts";
import { createCustomers } from "../../testing/billing-fixtures.ts";

// The set-up the tests of a credit note's card refund share (the held credit, its words on every page): a
// note whose refund Stripe has been asked for and not yet settled, made through the admin API as staff would.

export interface PendingNoteRefund {
  customerId: bigint;
  invoice: string;
  noteId: string;
  providerRefundId: string;
}

/** A new customer's $10.00 invoice paid by card, then a $2.50 credit note on it settled as a refund: pending. */
export async function pendingNoteRefund(world: StripeWorld, email: string): Promise<PendingNoteRefund> {
  const [customerId] = (await createCustomers(world.handle, [{ email }])) as [bigint];
  const { invoice } = await world.paidByCard({ customerId, total: 1000n });
  const note = await world.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
    amount: 250,
    reason: "outage",
    settlement: "refund",
  });
  expect(note.status).toBe(201);
  const refund = await world.db
    .selectFrom("refund")
    .select(["status", "provider_refund_id"])
    .where("credit_note_id", "=", note.body.data.id)
    .executeTakeFirstOrThrow();
  expect(refund.status).toBe("pending");
  return {
    customerId,
    invoice,
    noteId: note.body.data.id as string,
    providerRefundId: refund.provider_refund_id as string,
  };
}
