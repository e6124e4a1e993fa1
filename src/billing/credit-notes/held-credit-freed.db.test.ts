import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/schema.ts";
import { invoiceAmountsDue } from "../ledger/ledger.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { type StripeWorld, startStripeWorld } from "../providers/testing/stripe-world.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { issueCreditNote } from "./issue-credit-note.ts";

// Credit held for a credit note's pending card refund becomes the customer's to spend whenever the refund
// ends without money leaving: Stripe fails it, cancels it, or staff release a reservation Stripe never heard
// of. Each way pays the customer's open invoices from it at once, oldest first, as a failed refund does.

let world: StripeWorld;
beforeAll(async () => {
  world = await startStripeWorld();
});
afterAll(async () => {
  await world?.close();
});

const HOUR = 3_600_000;

const dueOf = async (id: string) => (await invoiceAmountsDue(world.db, [id])).get(id) ?? 0n;
const statement = async (customerId: bigint) =>
  (await world.server.api("GET", `/api/v1/customers/${customerId}/statement`)).body.data;
const noteRefund = (invoice: string) =>
  world.db
    .selectFrom("refund")
    .innerJoin("credit_note", "credit_note.id", "refund.credit_note_id")
    .select(["refund.id", "refund.status", "refund.provider_refund_id"])
    .where("credit_note.invoice_id", "=", invoice)
    .executeTakeFirstOrThrow();

/**
 * A $10.00 invoice paid by card and a $2.50 note on it settled as a refund, issued an hour ago by a process
 * that died once the note committed: the reservation is pending, unlinked, and Stripe was never asked.
 */
async function strandedNoteRefund(email: string) {
  const [customerId] = (await createCustomers(world.handle, [{ email }])) as [bigint];
  const { invoice } = await world.paidByCard({ customerId, total: 1000n });
  let died = false;
  const dying = new Proxy(world.db, {
    get(target, prop, receiver) {
      if (prop === "isTransaction") return false;
      if (prop === "transaction")
        return () => ({
          execute: async <T>(fn: (trx: never) => Promise<T>) => {
            const result = await target.transaction().execute(fn as never);
            died = true;
            return result;
          },
        });
      if (died) throw new Error("the process died after the note committed");
      return Reflect.get(target, prop, receiver);
    },
  }) as Kysely<Database>;
  await issueCreditNote({
    ctx: { ...world.context({ now: () => new Date(Date.now() - HOUR) }), db: dying },
    input: { invoice_id: invoice, amount: 250n, reason: "outage", settlement: "refund" },
  });
  return { customerId, invoice };
}

/** The same note, its refund asked of Stripe by the note's request: pending in Stripe, linked. */
async function pendingNoteRefund(email: string) {
  const [customerId] = (await createCustomers(world.handle, [{ email }])) as [bigint];
  const { invoice } = await world.paidByCard({ customerId, total: 1000n });
  const note = await world.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
    amount: 250,
    reason: "outage",
    settlement: "refund",
  });
  expect(note.status).toBe(201);
  return { customerId, invoice };
}

describe("credit freed from a credit note's card refund pays open invoices at once", () => {
  it("when staff release a reservation Stripe never heard of", async () => {
    const { customerId, invoice } = await strandedNoteRefund("freed-release@example.com");
    const [next] = (await issueInvoices(world.db, [{ customerId, total: 100n }])) as [string];
    expect(await dueOf(next)).toBe(100n);
    const reservation = await noteRefund(invoice);
    expect(reservation).toMatchObject({ status: "pending", provider_refund_id: null });

    const released = await world.post(`/api/v1/refunds/${reservation.id}/release`);
    expect([released.status, released.body.data?.outcome]).toEqual([200, "released"]);
    expect(await dueOf(next)).toBe(0n);
    expect(await statement(customerId)).toMatchObject({ credit: 150, credit_held: 0, balance: -150 });
  });

  it("when staff release a reservation Stripe refunded less of than was reserved", async () => {
    const { customerId, invoice } = await strandedNoteRefund("freed-less@example.com");
    const [next] = (await issueInvoices(world.db, [{ customerId, total: 100n }])) as [string];
    const reservation = await noteRefund(invoice);
    const { reference } = await world.db
      .selectFrom("payment")
      .select("reference")
      .where("invoice_id", "=", invoice)
      .executeTakeFirstOrThrow();
    // $1.00 of the $2.50 went back to the card (a refund made in Stripe, naming the reservation).
    world.fake.addRefund({
      id: "re_less_1",
      amount: 100,
      payment_intent: reference,
      status: "succeeded",
      metadata: { tokenbill_refund_id: reservation.id },
      created: Math.floor(Date.now() / 1000) - 600,
    });
    const released = await world.post(`/api/v1/refunds/${reservation.id}/release`);
    expect(released.status).toBe(200);
    // The $1.50 the card did not get back is spendable: it pays the open $1.00 invoice at once.
    expect(await dueOf(next)).toBe(0n);
    expect(await dueOf(invoice)).toBe(0n);
    expect(await statement(customerId)).toMatchObject({ credit_held: 0, balance: -50 });
  });

  it("when Stripe cancels the refund", async () => {
    const { customerId, invoice } = await pendingNoteRefund("freed-canceled@example.com");
    const [older, newer] = (await issueInvoices(world.db, [
      { customerId, total: 200n },
      { customerId, total: 200n },
    ])) as [string, string];
    const { provider_refund_id } = await noteRefund(invoice);
    const canceled = await world.deliver(
      world.fake.settleRefund(provider_refund_id as string, "canceled" as "failed"),
    );
    expect(canceled.body.outcome).toBe("processed");
    // Oldest first: the first invoice is paid whole, the second gets the $0.50 left.
    expect([await dueOf(older), await dueOf(newer)]).toEqual([0n, 150n]);
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 150 });
  });
});
