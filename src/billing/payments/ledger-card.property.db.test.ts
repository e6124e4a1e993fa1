import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { issueCreditNote } from "../credit-notes/issue-credit-note.ts";
import { voidInvoice } from "../invoices/void-invoice.ts";
import { invoiceAmountsDue } from "../ledger/ledger.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { getPayment } from "./get-payment.ts";
import { recordPayment } from "./record-payment.ts";
import { refundPayment } from "./refund.ts";
import { customerCreditHeld } from "./spendable-credit.ts";
import { cardMoneyPerFile } from "./testing/card-money-per-file.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";
import { checkLedger } from "./testing/ledger-invariants.ts";

// The ledger property (ledger.property.db.test.ts) with card money: payments made through the payment provider
// (the fake Stripe at the network edge), their refunds asked of it (pending, holding their amount), credit notes
// whose card shares are reserved (pending, holding their credit), and what Stripe later says of each refund —
// succeeded, failed, or failed after it had succeeded (the bank sent it back) — told through the webhook's own
// processing. After every sequence the first file's invariants hold, and: credit held for pending refunds (a
// note's whole amount, a payment's own the credit it is to take back) never exceeds the credit nor, for a
// payment, its credit part, only spendable credit may sit beside an invoice that owes, no refund holds more than
// its payment had left, and every card refund is in the state Stripe has it in. Then every pending refund is
// settled (succeeded or failed at random), some succeeded ones are sent back by the bank, and every payment's
// rest refunded and settled: all of it holds again.

const file = cardMoneyPerFile();

type Op =
  | { op: "invoice"; total: number }
  | { op: "pay_invoice"; pick: number; amount: number; percent: number; day: number; card: boolean }
  | { op: "pay_customer"; amount: number; day: number; card: boolean }
  | { op: "refund"; pick: number; percent: number }
  | { op: "credit_note"; pick: number; percent: number; refund: boolean }
  | { op: "card_note"; pick: number; percent: number }
  | { op: "void"; pick: number }
  | { op: "settle"; pick: number; succeeded: boolean }
  | { op: "bank_returns"; pick: number };

const amount = fc.integer({ min: 1, max: 3000 });
const pick = fc.nat(20);
const day = fc.integer({ min: 1, max: 19 });
// A refund or a credit note for a share of what is left of its payment or invoice, so most are admitted; above
// 100 % asks for more than there is, which must be refused.
const percent = fc.integer({ min: 1, max: 110 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("invoice" as const), total: fc.integer({ min: 0, max: 3000 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("pay_invoice" as const),
      pick,
      amount,
      percent,
      day,
      card: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("pay_customer" as const), amount, day, card: fc.boolean() }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("refund" as const), pick, percent }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("credit_note" as const), pick, percent, refund: fc.boolean() }),
  },
  // A credit note settled as a refund on an invoice a card paid: its card share is reserved, holding credit.
  { weight: 4, arbitrary: fc.record({ op: fc.constant("card_note" as const), pick, percent }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("void" as const), pick }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("settle" as const), pick, succeeded: fc.boolean() }),
  },
  // Weighted up (2026-12-07): at 2 it found a succeeded card refund about 7 times in 120 runs.
  { weight: 6, arbitrary: fc.record({ op: fc.constant("bank_returns" as const), pick }) },
);

/** How many of each operation did something, printed by a hunt (LEDGER_PROPERTY_RUNS) to see what it covered. */
const done = new Map<string, number>();
const count = (op: string) => done.set(op, (done.get(op) ?? 0) + 1);

let seq = 0;
const november = (d: number) => new Date(Date.UTC(2026, 10, d, 12));

/** The customer's card refunds Stripe knows of, in `status`, oldest first. */
async function cardRefunds(customerId: bigint, status: "pending" | "succeeded") {
  return file.handle.db
    .selectFrom("refund")
    .innerJoin("payment", "payment.id", "refund.payment_id")
    .select(["refund.id", "refund.provider_refund_id"])
    .where("payment.customer_id", "=", customerId)
    .where("refund.status", "=", status)
    .where("refund.provider_refund_id", "is not", null)
    .orderBy("refund.id")
    .execute();
}

async function payment(input: {
  invoice_id?: string;
  customer_id?: bigint;
  amount: number;
  day: number;
  card: boolean;
}): Promise<string> {
  const reference = input.card ? `pi_property_${seq++}` : `p${seq++}`;
  const { card, day: d, ...target } = input;
  const r = await recordPayment({
    ctx: file.ctx(),
    input: {
      ...target,
      amount: BigInt(input.amount),
      reference,
      paid_at: november(d),
      ...(card ? { method: "stripe" } : {}),
    },
  });
  if (card) file.card.charged(reference, r.payment.amount);
  return r.payment.id;
}

const paid = (op: { amount: number; day: number; card: boolean }) => ({
  amount: op.amount,
  day: op.day,
  card: op.card,
});

/** `percent` of `left`, at least 1 minor unit (the fixture invoices have no tax: a note's net is its total). */
const shareOf = (left: bigint, percent: number) => {
  const share = (left * BigInt(percent)) / 100n;
  return share > 0n ? share : 1n;
};

/** The customer's invoices a card payment paid part of, oldest first. */
async function cardPaidInvoices(customerId: bigint): Promise<string[]> {
  const rows = await file.handle.db
    .selectFrom("ledger_entry")
    .innerJoin("payment", "payment.id", "ledger_entry.payment_id")
    .select("ledger_entry.invoice_id")
    .distinct()
    .where("payment.customer_id", "=", customerId)
    .where("payment.method", "=", "stripe")
    .where("ledger_entry.account", "=", "receivable")
    .where("ledger_entry.amount", "<", 0n)
    .orderBy("ledger_entry.invoice_id")
    .execute();
  return rows.map((r) => r.invoice_id as string);
}

/** What of an invoice credit notes have not credited yet. */
async function leftToCredit(invoiceId: string): Promise<bigint> {
  const invoice = await file.handle.db
    .selectFrom("invoice")
    .select("total")
    .where("id", "=", invoiceId)
    .executeTakeFirstOrThrow();
  const notes = await file.handle.db
    .selectFrom("credit_note")
    .select("total")
    .where("invoice_id", "=", invoiceId)
    .execute();
  return notes.reduce((left, n) => left - n.total, invoice.total);
}

/** Refunds what the payment says is left of it; a card's refund is asked of Stripe and stays pending. */
async function refundTheRest(paymentId: string): Promise<void> {
  const p = await getPayment({ ctx: file.ctx(), input: { id: paymentId } });
  const left = p.amount - p.refunded;
  if (left > 0n) await refundPayment({ ctx: file.ctx(), input: { payment_id: paymentId, amount: left } });
}

/** Runs one operation; a refusal is fine when it is one §7 demands (over-refund, over-credit, void after payment). */
async function run(customerId: bigint, op: Op, invoices: string[], payments: string[]): Promise<void> {
  const at = <T>(list: T[], i: number) => list[i % list.length];
  try {
    switch (op.op) {
      case "invoice":
        invoices.push(...(await issueInvoices(file.handle.db, [{ customerId, total: BigInt(op.total) }])));
        count("invoice");
        return;
      case "pay_invoice": {
        if (invoices.length === 0) return;
        const invoiceId = at(invoices, op.pick)!;
        // Mostly a share of what it owes (above 100 %, the rest is credit), so that notes find it paid.
        const due = (await invoiceAmountsDue(file.handle.db, [invoiceId])).get(invoiceId) ?? 0n;
        const amount = due > 0n && op.amount % 4 !== 0 ? Number(shareOf(due, op.percent)) : op.amount;
        payments.push(await payment({ invoice_id: invoiceId, ...paid({ ...op, amount }) }));
        count(op.card ? "pay_invoice card" : "pay_invoice");
        return;
      }
      case "pay_customer":
        payments.push(await payment({ customer_id: customerId, ...paid(op) }));
        count(op.card ? "pay_customer card" : "pay_customer");
        return;
      case "refund": {
        if (payments.length === 0) return;
        const p = await getPayment({ ctx: file.ctx(), input: { id: at(payments, op.pick)! } });
        await refundPayment({
          ctx: file.ctx(),
          input: { payment_id: p.id, amount: shareOf(p.amount - p.refunded, op.percent) },
        });
        count("refund");
        return;
      }
      case "credit_note": {
        if (invoices.length === 0) return;
        const invoiceId = at(invoices, op.pick)!;
        await issueCreditNote({
          ctx: file.ctx(),
          input: {
            invoice_id: invoiceId,
            amount: shareOf(await leftToCredit(invoiceId), op.percent),
            reason: "property",
            settlement: op.refund ? "refund" : "credit",
          },
        });
        count(op.refund ? "credit_note refund" : "credit_note credit");
        return;
      }
      case "card_note": {
        const cardPaid = await cardPaidInvoices(customerId);
        if (cardPaid.length === 0) return;
        const invoiceId = at(cardPaid, op.pick)!;
        await issueCreditNote({
          ctx: file.ctx(),
          input: {
            invoice_id: invoiceId,
            amount: shareOf(await leftToCredit(invoiceId), op.percent),
            reason: "property",
            settlement: "refund",
          },
        });
        count("card_note");
        return;
      }
      case "void":
        if (invoices.length === 0) return;
        await voidInvoice({ ctx: file.ctx(), input: { id: at(invoices, op.pick)!, reason: "property" } });
        count("void");
        return;
      case "settle": {
        const pending = await cardRefunds(customerId, "pending");
        if (pending.length === 0) return;
        await file.card.says(
          at(pending, op.pick)!.provider_refund_id!,
          op.succeeded ? "succeeded" : "failed",
        );
        count(op.succeeded ? "settle succeeded" : "settle failed");
        return;
      }
      case "bank_returns": {
        // A refund Stripe made, or else a pending one Stripe makes now: a return needs both steps in order,
        // and with only the succeeded ones it came about 3 times in 300 runs (2026-12-07).
        let succeeded = await cardRefunds(customerId, "succeeded");
        if (succeeded.length === 0) {
          const pending = await cardRefunds(customerId, "pending");
          if (pending.length === 0) return;
          await file.card.says(at(pending, op.pick)!.provider_refund_id!, "succeeded");
          succeeded = await cardRefunds(customerId, "succeeded");
        }
        await file.card.says(at(succeeded, op.pick)!.provider_refund_id!, "failed");
        count("bank_returns");
        return;
      }
    }
  } catch (e) {
    const err = e as { code?: string; issues?: { field: string }[] };
    const expected =
      (err.code === "VALIDATION" && err.issues?.[0]?.field === "amount") ||
      (err.code === "CONFLICT" && (op.op === "void" || op.op === "credit_note" || op.op === "pay_invoice"));
    if (!expected) throw e;
  }
}

async function checkInvariants(customerId: bigint): Promise<void> {
  const db = file.handle.db;
  const { sum, dueTotal, credit } = await checkLedger(db, file.ctx(), customerId);
  // The books as the first property checks them (testing/ledger-invariants.ts). What pending refunds hold of
  // credit — a note's its whole amount, a payment's own the credit it is to take back (refund.credit_held) — is
  // never more than there is (spendable-credit.ts: "held beyond the credit is what a sound ledger never shows"),
  // and only the held part may sit beside an invoice that owes: spendable credit pays open invoices at once.
  const heldRows = await db
    .selectFrom("refund")
    .innerJoin("payment", "payment.id", "refund.payment_id")
    .select(["refund.amount", "refund.credit_note_id", "refund.credit_held", "refund.payment_id"])
    .where("payment.customer_id", "=", customerId)
    .where("refund.status", "=", "pending")
    .execute();
  const held = heldRows.reduce((s, r) => s + (r.credit_note_id !== null ? r.amount : r.credit_held), 0n);
  // A payment's pending refunds hold no more of its credit than it left as credit and no refund took back.
  for (const r of heldRows) {
    expect(r.credit_note_id === null || r.credit_held === 0n, `note refund ${r.payment_id}`).toBe(true);
    const part = -sum((e) => e.account === "credit" && e.payment_id === r.payment_id);
    const holding = heldRows
      .filter((h) => h.payment_id === r.payment_id)
      .reduce((s, h) => s + h.credit_held, 0n);
    expect(holding <= part, `payment ${r.payment_id} holds ${holding} of its credit part ${part}`).toBe(true);
  }
  expect(held <= credit, `held ${held} of credit ${credit}`).toBe(true);
  const spendable = credit - held;
  expect(await customerCreditHeld(db, customerId, "USD")).toEqual({ credit, held, spendable });
  if (spendable > 0n) expect(dueTotal, `spendable credit ${spendable} beside ${dueTotal} due`).toBe(0n);

  // No payment has more refunded or held than it brought in; every card refund is as Stripe has it.
  const paid = await db
    .selectFrom("payment")
    .select(["id", "amount", "method"])
    .where("customer_id", "=", customerId)
    .execute();
  const refunds = paid.length
    ? await db
        .selectFrom("refund")
        .select(["payment_id", "amount", "status", "provider_refund_id"])
        .where(
          "payment_id",
          "in",
          paid.map((p) => p.id),
        )
        .execute()
    : [];
  for (const p of paid) {
    const holding = refunds
      .filter((r) => r.payment_id === p.id && r.status !== "failed")
      .reduce((s, r) => s + r.amount, 0n);
    expect(holding <= p.amount, `payment ${p.id}: ${holding} refunded or held of ${p.amount}`).toBe(true);
  }
  for (const r of refunds.filter((r) => r.provider_refund_id !== null))
    expect(r.status, r.provider_refund_id!).toBe(file.stripe.fake.refunds.get(r.provider_refund_id!)?.status);
  // Every reservation reached Stripe (nothing in this world refuses or drops a refund).
  expect(refunds.filter((r) => r.status === "pending" && r.provider_refund_id === null)).toEqual([]);
}

/** The bank sends back the customer's succeeded card refunds where `returned` says so, in turn. */
async function bankReturns(customerId: bigint, returned: boolean[]): Promise<void> {
  for (const [i, r] of (await cardRefunds(customerId, "succeeded")).entries())
    if (returned[i % returned.length]) {
      await file.card.says(r.provider_refund_id!, "failed");
      count("bank_returns after settling");
    }
}

/** Stripe settles every pending card refund of the customer, each as `outcomes` says in turn. */
async function settleAll(customerId: bigint, outcomes: boolean[]): Promise<void> {
  for (const [i, r] of (await cardRefunds(customerId, "pending")).entries())
    await file.card.says(r.provider_refund_id!, outcomes[i % outcomes.length] ? "succeeded" : "failed");
}

describe("the ledger under random money events, card money included", () => {
  it("balances, holds no more than there is, and agrees with Stripe, through every settlement", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 20, size: "max" }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        async (ops, outcomes, returned) => {
          const [customerId] = await createCustomers(file.handle, [
            { email: `card-prop${seq++}@example.com` },
          ]);
          const invoices: string[] = [];
          const payments: string[] = [];
          for (const op of ops) await run(customerId!, op, invoices, payments);
          await checkInvariants(customerId!);
          // Stripe settles what is pending, either way.
          await settleAll(customerId!, outcomes);
          await checkInvariants(customerId!);
          // The bank sends some of them back: the money is the customer's again, and its rest is refundable.
          await bankReturns(customerId!, returned);
          await checkInvariants(customerId!);
          // Every payment's rest can then be refunded, and Stripe pays back the card's.
          for (const id of payments) await refundTheRest(id);
          await settleAll(customerId!, [true]);
          await checkInvariants(customerId!);
          for (const id of payments) {
            const p = await getPayment({ ctx: file.ctx(), input: { id } });
            expect(p.refunded, id).toBe(p.amount);
          }
        },
      ),
      // 25 runs take about 16 s on PGlite; to hunt, LEDGER_PROPERTY_RUNS=300 on PostgreSQL (DATABASE_URL).
      { numRuns: Number(process.env["LEDGER_PROPERTY_RUNS"] ?? 25) },
    );
    if (process.env["LEDGER_PROPERTY_RUNS"]) console.info("operations done:", Object.fromEntries(done));
  }, 600_000);
});
