import { describe, expect, it } from "vitest";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import { cardRefundReads, noteWhoseProcessDied, pendingNoteRefund } from "./testing/pending-note-refund.ts";

// Credit held for a credit note's pending card refund becomes the customer's to spend whenever the refund
// ends without money leaving: Stripe fails it, cancels it, or staff release a reservation Stripe never heard
// of. Each way pays the customer's open invoices from it at once, oldest first, as a failed refund does.

const file = stripeWorldPerFile();

const HOUR = 3_600_000;
/** A note issued an hour ago: its reservation is old enough for staff to release. */
const HOUR_AGO = { now: () => new Date(Date.now() - HOUR) };

const { dueOf, statement } = cardRefundReads(() => file.world);
const noteRefund = (invoice: string) =>
  file.world.db
    .selectFrom("refund")
    .innerJoin("credit_note", "credit_note.id", "refund.credit_note_id")
    .select(["refund.id", "refund.status", "refund.provider_refund_id"])
    .where("credit_note.invoice_id", "=", invoice)
    .executeTakeFirstOrThrow();

describe("credit freed from a credit note's card refund pays open invoices at once", () => {
  it("when staff release a reservation Stripe never heard of", async () => {
    const { customerId, invoice } = await noteWhoseProcessDied(
      file.world,
      "freed-release@example.com",
      HOUR_AGO,
    );
    const [next] = (await issueInvoices(file.world.db, [{ customerId, total: 100n }])) as [string];
    expect(await dueOf(next)).toBe(100n);
    const reservation = await noteRefund(invoice);
    expect(reservation).toMatchObject({ status: "pending", provider_refund_id: null });

    const released = await file.world.post(`/api/v1/refunds/${reservation.id}/release`);
    expect([released.status, released.body.data?.outcome]).toEqual([200, "released"]);
    expect(await dueOf(next)).toBe(0n);
    expect(await statement(customerId)).toMatchObject({ credit: 150, credit_held: 0, balance: -150 });
  });

  it("when staff release a reservation Stripe refunded less of than was reserved", async () => {
    const { customerId, invoice } = await noteWhoseProcessDied(
      file.world,
      "freed-less@example.com",
      HOUR_AGO,
    );
    const [next] = (await issueInvoices(file.world.db, [{ customerId, total: 100n }])) as [string];
    const reservation = await noteRefund(invoice);
    const { reference } = await file.world.db
      .selectFrom("payment")
      .select("reference")
      .where("invoice_id", "=", invoice)
      .executeTakeFirstOrThrow();
    // $1.00 of the $2.50 went back to the card (a refund made in Stripe, naming the reservation).
    file.world.fake.addRefund({
      id: "re_less_1",
      amount: 100,
      payment_intent: reference,
      status: "succeeded",
      metadata: { tokenbill_refund_id: reservation.id },
      created: Math.floor(Date.now() / 1000) - 600,
    });
    const released = await file.world.post(`/api/v1/refunds/${reservation.id}/release`);
    expect(released.status).toBe(200);
    // The $1.50 the card did not get back is spendable: it pays the open $1.00 invoice at once.
    expect(await dueOf(next)).toBe(0n);
    expect(await dueOf(invoice)).toBe(0n);
    expect(await statement(customerId)).toMatchObject({ credit_held: 0, balance: -50 });
  });

  it("when Stripe cancels the refund", async () => {
    const { customerId, invoice } = await pendingNoteRefund(file.world, "freed-canceled@example.com");
    const [older, newer] = (await issueInvoices(file.world.db, [
      { customerId, total: 200n },
      { customerId, total: 200n },
    ])) as [string, string];
    const { provider_refund_id } = await noteRefund(invoice);
    const canceled = await file.world.deliver(
      file.world.fake.settleRefund(provider_refund_id as string, "canceled" as "failed"),
    );
    expect(canceled.body.outcome).toBe("processed");
    // Oldest first: the first invoice is paid whole, the second gets the $0.50 left.
    expect([await dueOf(older), await dueOf(newer)]).toEqual([0n, 150n]);
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 150 });
  });
});
