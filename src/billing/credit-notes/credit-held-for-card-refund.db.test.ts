import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import {
  askRefundNote,
  noteRefundOf,
  noteWhoseProcessDied,
  pendingNoteRefund,
  runNoteRefundJobs,
} from "./testing/pending-note-refund.ts";
import { unpaidInvoices } from "../dunning/evaluate-dunning.ts";
import { invoiceAmountsDue } from "../ledger/ledger.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";

// A credit note settled as a refund of a card payment leaves the card's share as credit until Stripe settles
// the refund, which then takes that credit back. Until 2026-12-06 only the note's own transaction kept that
// credit: the next invoice's finalization, or a payment, spent it, and when the refund succeeded it found no
// credit and reopened the invoice the credit had paid (the customer got the money back and owed it again).

const file = stripeWorldPerFile();

const invoiceState = async (id: string) => {
  const row = await file.world.db
    .selectFrom("invoice")
    .select("status")
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  const due = (await invoiceAmountsDue(file.world.db, [id])).get(id) ?? 0n;
  return { status: row.status, due };
};

const statement = async (customerId: bigint) =>
  (await file.world.server.api("GET", `/api/v1/customers/${customerId}/statement`)).body.data;

describe("credit held for a credit note's pending card refund", () => {
  it("is not spent by the next invoice's finalization nor by a payment, and the refund reopens nothing", async () => {
    const { customerId, invoice, providerRefundId } = await pendingNoteRefund(
      file.world,
      "held-credit-1@example.com",
    );
    expect(await statement(customerId)).toMatchObject({ credit: 250, credit_held: 250, balance: -250 });

    const [next] = (await issueInvoices(file.world.db, [{ customerId, total: 100n }])) as [string];
    expect(await invoiceState(next)).toEqual({ status: "finalized", due: 100n });
    // Nor does dunning count it against what the customer owes: it is going back to the card.
    expect(await unpaidInvoices(file.world.db, customerId)).toMatchObject([{ id: next, amount_due: 100n }]);

    // A customer payment pays what it can, then spends the customer's credit on what is still open: only
    // credit not held.
    const paid = await file.world.server.api("POST", `/api/v1/customers/${customerId}/payments`, {
      amount: 40,
      method: "bank_transfer",
      reference: "HELD-1",
      paid_at: "2026-11-10",
    });
    expect(paid.status).toBe(201);
    expect(await invoiceState(next)).toEqual({ status: "partially_paid", due: 60n });

    const settled = await file.world.deliver(file.world.fake.settleRefund(providerRefundId, "succeeded"));
    expect(settled.body.outcome).toBe("processed");
    expect(await invoiceState(invoice)).toEqual({ status: "paid", due: 0n });
    expect(await invoiceState(next)).toEqual({ status: "partially_paid", due: 60n });
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 60 });
  });

  it("is not what another payment's refund takes back: that refund reopens what the payment's credit paid", async () => {
    const { customerId, invoice, providerRefundId } = await pendingNoteRefund(
      file.world,
      "held-credit-3@example.com",
    );
    // $1.00 on account becomes credit beside the held $2.50, and the next invoice's finalization spends it.
    const onAccount = await file.world.server.api("POST", `/api/v1/customers/${customerId}/payments`, {
      amount: 100,
      method: "bank_transfer",
      reference: "HELD-3",
      paid_at: "2026-11-10",
    });
    expect(onAccount.status).toBe(201);
    const [next] = (await issueInvoices(file.world.db, [{ customerId, total: 100n }])) as [string];
    expect(await invoiceState(next)).toEqual({ status: "paid", due: 0n });

    const refunded = await file.world.server.api(
      "POST",
      `/api/v1/payments/${onAccount.body.data.id}/refunds`,
      {
        amount: 100,
      },
    );
    expect(refunded.status).toBe(201);
    expect(await invoiceState(next)).toEqual({ status: "finalized", due: 100n });
    expect(await statement(customerId)).toMatchObject({ credit: 250, credit_held: 250 });

    await file.world.deliver(file.world.fake.settleRefund(providerRefundId, "succeeded"));
    expect(await invoiceState(invoice)).toEqual({ status: "paid", due: 0n });
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 100 });
  });

  it("becomes spendable when Stripe fails the refund, and pays the open invoice then", async () => {
    const { customerId, invoice, providerRefundId } = await pendingNoteRefund(
      file.world,
      "held-credit-2@example.com",
    );
    const [next] = (await issueInvoices(file.world.db, [{ customerId, total: 100n }])) as [string];
    expect(await invoiceState(next)).toEqual({ status: "finalized", due: 100n });

    const failed = await file.world.deliver(file.world.fake.settleRefund(providerRefundId, "failed"));
    expect(failed.body.outcome).toBe("processed");
    expect(await invoiceState(next)).toEqual({ status: "paid", due: 0n });
    expect(await invoiceState(invoice)).toEqual({ status: "paid", due: 0n });
    expect(await statement(customerId)).toMatchObject({ credit: 150, credit_held: 0, balance: -150 });
  });

  it("is held from the note's commit when the process dies before asking Stripe, and the job refunds it once", async () => {
    const asked = file.world.refundCalls();
    const logLines: Record<string, unknown>[] = [];
    const { customerId, invoice } = await noteWhoseProcessDied(file.world, "held-credit-4@example.com", {
      logger: pino({ level: "warn" }, { write: (line: string) => void logLines.push(JSON.parse(line)) }),
    });
    expect(file.world.refundCalls()).toBe(asked);
    // The log says what happened: the reservation is pending for the job (until 2026-12-06 every error after
    // the commit was logged as a refusal, "the amount stays credit").
    expect(logLines.map((line) => line["msg"])).toEqual([
      "credit note's refund through the payment provider was not completed: the reservation stays pending, holding its amount, and the note's credit_note.refund job asks again",
    ]);
    expect(await statement(customerId)).toMatchObject({ credit: 250, credit_held: 250 });

    const [next] = (await issueInvoices(file.world.db, [{ customerId, total: 100n }])) as [string];
    expect(await invoiceState(next)).toEqual({ status: "finalized", due: 100n });
    const paid = await file.world.server.api("POST", `/api/v1/customers/${customerId}/payments`, {
      amount: 40,
      method: "bank_transfer",
      reference: "HELD-4",
      paid_at: "2026-11-10",
    });
    expect(paid.status).toBe(201);
    expect(await invoiceState(next)).toEqual({ status: "partially_paid", due: 60n });

    // The note's credit_note.refund job, due once the request's own call must be over, asks Stripe: once.
    await runNoteRefundJobs(file.world);
    await runNoteRefundJobs(file.world);
    expect(file.world.refundCalls()).toBe(asked + 1);
    const refund = await noteRefundOf(file.world, invoice);
    expect(refund.status).toBe("pending");
    await file.world.deliver(file.world.fake.settleRefund(refund.provider_refund_id as string, "succeeded"));
    expect(await invoiceState(invoice)).toEqual({ status: "paid", due: 0n });
    expect(await invoiceState(next)).toEqual({ status: "partially_paid", due: 60n });
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 60 });
  });

  it("is freed when Stripe refuses the job's refund, and then pays the open invoice", async () => {
    const { customerId, invoice, payment } = await noteWhoseProcessDied(
      file.world,
      "held-credit-5@example.com",
    );
    const [next] = (await issueInvoices(file.world.db, [{ customerId, total: 100n }])) as [string];
    expect(await invoiceState(next)).toEqual({ status: "finalized", due: 100n });
    // Refunded whole in Stripe's Dashboard meanwhile: Stripe refuses any further refund of the payment (400).
    file.world.fake.addRefund({
      id: "re_dashboard_5",
      amount: 1000,
      payment_intent: payment.reference,
      status: "succeeded",
      metadata: {},
      created: Math.floor(Date.now() / 1000),
    });
    await runNoteRefundJobs(file.world);
    expect(await noteRefundOf(file.world, invoice)).toEqual({ status: "failed", provider_refund_id: null });
    expect(await invoiceState(next)).toEqual({ status: "paid", due: 0n });
    expect(await statement(customerId)).toMatchObject({ credit: 150, credit_held: 0 });
  });

  it("stays held while Stripe answers 409 for its key still in flight, and the job's later ask refunds it once", async () => {
    const [customerId] = (await createCustomers(file.world.handle, [
      { email: "held-credit-7@example.com" },
    ])) as [bigint];
    const { invoice } = await file.world.paidByCard({ customerId, total: 1000n });
    const asked = file.world.refundCalls();
    // Stripe says another request with the reservation's key is still running: the refund may well be made.
    // Until 2026-12-06 that was read as a refusal: the reservation failed and its credit paid open invoices.
    file.world.fake.refundKeyInFlight = true;
    try {
      const note = await askRefundNote(file.world, invoice);
      expect(note.status).toBe(201);
      expect(await noteRefundOf(file.world, invoice)).toEqual({
        status: "pending",
        provider_refund_id: null,
      });
      // The job's first try meets the same 409: it stays pending, for the job's next attempt.
      await runNoteRefundJobs(file.world);
      expect(await noteRefundOf(file.world, invoice)).toEqual({
        status: "pending",
        provider_refund_id: null,
      });
    } finally {
      file.world.fake.refundKeyInFlight = false;
    }
    // The SDK sent each call three times (it retries a 409 twice): two calls, nothing made.
    expect(file.world.refundCalls()).toBe(asked + 6);
    expect(await statement(customerId)).toMatchObject({ credit: 250, credit_held: 250 });
    const [next] = (await issueInvoices(file.world.db, [{ customerId, total: 100n }])) as [string];
    expect(await invoiceState(next)).toEqual({ status: "finalized", due: 100n });

    await runNoteRefundJobs(file.world);
    expect(file.world.refundCalls()).toBe(asked + 7);
    const linked = await noteRefundOf(file.world, invoice);
    expect(linked.status).toBe("pending");
    expect(linked.provider_refund_id).toMatch(/^re_/);
    expect(await statement(customerId)).toMatchObject({ credit: 250, credit_held: 250 });
    await runNoteRefundJobs(file.world);
    expect(file.world.refundCalls()).toBe(asked + 7);

    await file.world.deliver(file.world.fake.settleRefund(linked.provider_refund_id as string, "succeeded"));
    expect(await noteRefundOf(file.world, invoice)).toEqual({
      status: "succeeded",
      provider_refund_id: linked.provider_refund_id,
    });
    expect(await invoiceState(invoice)).toEqual({ status: "paid", due: 0n });
    expect(await invoiceState(next)).toEqual({ status: "finalized", due: 100n });
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 100 });
  });

  it("asks nothing when the note's own request had Stripe make the refund", async () => {
    const { invoice } = await pendingNoteRefund(file.world, "held-credit-6@example.com");
    const linked = await noteRefundOf(file.world, invoice);
    expect(linked.provider_refund_id).not.toBeNull();
    const asked = file.world.refundCalls();
    await runNoteRefundJobs(file.world);
    expect(file.world.refundCalls()).toBe(asked);
    expect(await noteRefundOf(file.world, invoice)).toEqual(linked);
  });
});
