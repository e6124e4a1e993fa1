import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { issueCreditNote } from "../credit-notes/issue-credit-note.ts";
import { voidInvoice } from "../invoices/void-invoice.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { recordPayment } from "./record-payment.ts";
import { refundPayment } from "./refund.ts";
import { getPayment } from "./get-payment.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";
import { checkLedger } from "./testing/ledger-invariants.ts";

// billing-rules §7 "a ledger, not counters": random sequences of invoices (finalized, with credit applied
// as they are), payments (against an invoice or the customer), refunds, credit notes and voids. After every
// sequence: each event sums to zero, no amount is created or lost, every projection equals a
// recomputation from the rows, and no invoice owes less than nothing; then every payment's rest is refunded,
// which must always work, and all of that holds again.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const ctx = () => billingContext(handle, {}, new Date("2026-11-20T10:00:00Z"));

type Op =
  | { op: "invoice"; total: number }
  | { op: "pay_invoice"; pick: number; amount: number; day: number }
  | { op: "pay_customer"; amount: number; day: number }
  | { op: "refund"; pick: number; amount: number }
  | { op: "credit_note"; pick: number; net: number; refund: boolean }
  | { op: "void"; pick: number };

const amount = fc.integer({ min: 1, max: 3000 });
const pick = fc.nat(20);
// The day of November a payment is dated: a credit note's refund goes to the newest payment first, so payments
// dated in any order, not in the order they were recorded.
const day = fc.integer({ min: 1, max: 19 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("invoice" as const), total: fc.integer({ min: 0, max: 3000 }) }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("pay_invoice" as const), pick, amount, day }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("pay_customer" as const), amount, day }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("refund" as const), pick, amount }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("credit_note" as const),
      pick,
      net: amount,
      refund: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("void" as const), pick }) },
);

let seq = 0;
const november = (d: number) => new Date(Date.UTC(2026, 10, d, 12));

/** Refunds what the payment says is left of it: whatever the events before, that much must be refundable. */
async function refundTheRest(paymentId: string): Promise<void> {
  const payment = await getPayment({ ctx: ctx(), input: { id: paymentId } });
  const left = payment.amount - payment.refunded;
  if (left > 0n) await refundPayment({ ctx: ctx(), input: { payment_id: paymentId, amount: left } });
}

/** Runs one operation; a refusal is fine when it is one §7 demands (over-refund, over-credit, void after payment). */
async function run(customerId: bigint, op: Op, invoices: string[], payments: string[]): Promise<void> {
  const at = <T>(list: T[], i: number) => list[i % list.length];
  try {
    switch (op.op) {
      case "invoice":
        invoices.push(...(await issueInvoices(handle.db, [{ customerId, total: BigInt(op.total) }])));
        return;
      case "pay_invoice": {
        if (invoices.length === 0) return;
        const r = await recordPayment({
          ctx: ctx(),
          input: {
            invoice_id: at(invoices, op.pick)!,
            amount: BigInt(op.amount),
            reference: `p${seq++}`,
            paid_at: november(op.day),
          },
        });
        payments.push(r.payment.id);
        return;
      }
      case "pay_customer": {
        const r = await recordPayment({
          ctx: ctx(),
          input: {
            customer_id: customerId,
            amount: BigInt(op.amount),
            reference: `p${seq++}`,
            paid_at: november(op.day),
          },
        });
        payments.push(r.payment.id);
        return;
      }
      case "refund":
        if (payments.length === 0) return;
        await refundPayment({
          ctx: ctx(),
          input: { payment_id: at(payments, op.pick)!, amount: BigInt(op.amount) },
        });
        return;
      case "credit_note":
        if (invoices.length === 0) return;
        await issueCreditNote({
          ctx: ctx(),
          input: {
            invoice_id: at(invoices, op.pick)!,
            amount: BigInt(op.net),
            reason: "property",
            settlement: op.refund ? "refund" : "credit",
          },
        });
        return;
      case "void":
        if (invoices.length === 0) return;
        await voidInvoice({ ctx: ctx(), input: { id: at(invoices, op.pick)!, reason: "property" } });
        return;
    }
  } catch (e) {
    const err = e as { code?: string; issues?: { field: string }[] };
    const expected =
      (err.code === "VALIDATION" && err.issues?.[0]?.field === "amount") ||
      (err.code === "CONFLICT" && (op.op === "void" || op.op === "credit_note" || op.op === "pay_invoice"));
    if (!expected) throw e;
  }
}

/**
 * The books' invariants (testing/ledger-invariants.ts), and credit never beside an invoice that still owes
 * (docs/payments.md, "Credit"; until 2026-12-06 a credit note, an over-payment or a refund left it there, and
 * dunning suspended a customer in net credit).
 */
async function checkInvariants(customerId: bigint): Promise<void> {
  const { credit, dueTotal } = await checkLedger(handle.db, ctx(), customerId);
  if (credit > 0n) expect(dueTotal, `credit ${credit} beside ${dueTotal} due`).toBe(0n);
}

describe("the ledger under random money events", () => {
  it("balances every event, loses nothing, and projects what the rows say", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
        const [customerId] = await createCustomers(handle, [{ email: `prop${seq++}@example.com` }]);
        const invoices: string[] = [];
        const payments: string[] = [];
        for (const op of ops) await run(customerId!, op, invoices, payments);
        await checkInvariants(customerId!);
        // Every payment can then be refunded in full (until 2026-12-05 a credit note's refund could leave a
        // payment's rest with no source: a 500), and the books still balance.
        for (const id of payments) await refundTheRest(id);
        await checkInvariants(customerId!);
      }),
      { numRuns: 40 },
    );
  }, 240_000);
});
