import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { issueCreditNote } from "../credit-notes/issue-credit-note.ts";
import { evaluateCustomerDunning } from "../dunning/evaluate-dunning.ts";
import { customerBalance, customerCredit, invoiceAmountDue } from "../ledger/ledger.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { recordPayment } from "./record-payment.ts";
import { refundPayment } from "./refund.ts";
import { customerStatement } from "./statement.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// A customer never holds credit in a currency beside an open invoice of that currency after a money event
// (docs/payments.md, "Credit"), and dunning counts credit against what is overdue (docs/dunning.md). Until
// 2026-12-06 a customer in net credit was locked and suspended for an invoice their credit covered.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
  await handle.db
    .insertInto("currency")
    .values({
      code: "JPY",
      exponent: 0,
      token_unit_cost: "0.15",
      display_prefix: "¥",
      display_suffix: "",
      thousands_separator: ",",
      decimals_separator: ".",
      updated_at: new Date("2026-01-01T00:00:00Z"),
    })
    .onConflict((oc) => oc.column("code").doNothing())
    .execute();
});
afterAll(async () => handle?.close());

const NOW = new Date("2026-12-06T10:00:00Z");
const ctx = (now = NOW) => billingContext(handle, {}, now);
let n = 0;
async function customer(currency = "USD"): Promise<bigint> {
  const [id] = await createCustomers(handle, [{ email: `credit-beside-${n++}@example.com`, currency }]);
  return id!;
}
const due = (id: string) => invoiceAmountDue(handle.db, id);
async function statusOf(id: bigint) {
  const row = await handle.db
    .selectFrom("customer")
    .select(["status"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  return row.status;
}
/** The customer's invoices in `currency` that owe something while the customer holds credit in it. */
async function creditBesideDue(customerId: bigint, currency: string): Promise<string[]> {
  const credit = await customerCredit(handle.db, customerId, currency);
  if (credit <= 0n) return [];
  const open = await handle.db
    .selectFrom("invoice")
    .select("id")
    .where("customer_id", "=", customerId)
    .where("currency_code", "=", currency)
    .where("status", "in", ["finalized", "partially_paid", "paid"])
    .execute();
  const owing: string[] = [];
  for (const o of open) if ((await due(o.id)) > 0n) owing.push(o.id);
  return owing;
}
async function eventsSumToZero(customerId: bigint): Promise<void> {
  const rows = await handle.db
    .selectFrom("ledger_entry")
    .select(["event_id", "amount"])
    .where("customer_id", "=", customerId)
    .execute();
  const sums = new Map<string, bigint>();
  for (const r of rows) sums.set(r.event_id, (sums.get(r.event_id) ?? 0n) + r.amount);
  for (const [event, sum] of sums) expect(sum, event).toBe(0n);
}
async function jobsOf(kind: string, invoiceId: string) {
  const rows = await handle.db
    .selectFrom("job")
    .select("payload")
    .where("kind", "=", "invoice.event")
    .where("ordering_key", "=", `invoice:${invoiceId}`)
    .execute();
  return rows.map((r) => (r.payload as { event: string }).event).filter((e) => e === kind);
}
const DAY = 24 * 3600 * 1000;

describe("a refund that reopens an invoice while the customer holds credit", () => {
  it("pays it from that credit: the reproduction of customer 36 (JPY) is not suspended 45 days on", async () => {
    const c = await customer("JPY");
    // Issued 2026-12-06 with 14 days' terms: due 2026-12-20.
    const [inv] = await issueInvoices(handle.db, [{ customerId: c, total: 144n, currency: "JPY" }], {
      now: NOW,
    });
    const repro1 = await recordPayment({
      ctx: ctx(),
      input: { invoice_id: inv!, amount: 144n, method: "bank_transfer", reference: "REPRO-1" },
    });
    await recordPayment({
      ctx: ctx(),
      input: { customer_id: c, amount: 500n, method: "bank_transfer", reference: "REPRO-2" },
    });
    expect(await customerCredit(handle.db, c, "JPY")).toBe(500n);

    await refundPayment({ ctx: ctx(), input: { payment_id: repro1.payment.id, amount: 144n } });

    // The reopened ¥144 is paid from the ¥500 credit at once: nothing owed beside credit.
    expect([await due(inv!), await customerCredit(handle.db, c, "JPY")]).toEqual([0n, 356n]);
    expect(await creditBesideDue(c, "JPY")).toEqual([]);
    const invoice = await handle.db
      .selectFrom("invoice")
      .select("status")
      .where("id", "=", inv!)
      .executeTakeFirstOrThrow();
    expect(invoice.status).toBe("paid");
    const statement = await customerStatement(ctx(), c);
    expect([statement.balance, statement.credit]).toEqual([-356n, 356n]);
    expect(statement.entries.map((e) => [e.kind, e.amount, e.balance])).toEqual([
      ["invoice", 144n, 144n],
      ["payment", -144n, 0n],
      ["payment", -500n, -500n],
      ["refund", 144n, -356n],
      ["credit_applied", -144n, -356n],
    ]);
    await eventsSumToZero(c);

    const later = new Date(NOW.getTime() + 45 * DAY);
    await evaluateCustomerDunning(ctx(later), c, later);
    expect(await statusOf(c)).toBe("active");
    const episodes = await handle.db
      .selectFrom("dunning_episode")
      .select("id")
      .where("customer_id", "=", c)
      .execute();
    expect(episodes).toEqual([]);
  });

  it("lets a later refund of the payment that gave the credit reopen the invoice that credit paid", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(handle.db, [{ customerId: c, total: 144n }], { now: NOW });
    const first = await recordPayment({
      ctx: ctx(),
      input: { invoice_id: inv!, amount: 144n, method: "bank_transfer", reference: `L-1-${c}` },
    });
    const second = await recordPayment({
      ctx: ctx(),
      input: { customer_id: c, amount: 500n, method: "bank_transfer", reference: `L-2-${c}` },
    });
    await refundPayment({ ctx: ctx(), input: { payment_id: first.payment.id, amount: 144n } });
    // All of the ¥500 back: the 356 of credit left, and the 144 its credit paid on the invoice.
    await refundPayment({ ctx: ctx(), input: { payment_id: second.payment.id, amount: 500n } });
    expect([await due(inv!), await customerCredit(handle.db, c, "USD")]).toEqual([144n, 0n]);
    expect(await customerBalance(handle.db, c, "USD")).toBe(144n);
    await eventsSumToZero(c);
  });
});

describe("a credit note settled as credit on a paid invoice", () => {
  it("pays the customer's other open, overdue invoice, so dunning lifts its lock and never suspends", async () => {
    const c = await customer();
    // Overdue: issued 2026-11-01, due 2026-11-15. Paid: issued and paid 2026-12-06.
    const [overdue] = await issueInvoices(handle.db, [{ customerId: c, total: 300n }], {
      now: new Date("2026-11-01T01:00:00Z"),
    });
    const [paid] = await issueInvoices(handle.db, [{ customerId: c, total: 1000n }], { now: NOW });
    await recordPayment({
      ctx: ctx(),
      input: { invoice_id: paid!, amount: 1000n, method: "bank_transfer", reference: `CN-PAID-${c}` },
    });
    // +8 days: dunning locks the customer for the overdue invoice.
    const locked = new Date("2026-11-23T10:00:00Z");
    await evaluateCustomerDunning(ctx(locked), c, locked);
    expect(await statusOf(c)).toBe("locked");

    await issueCreditNote({
      ctx: ctx(),
      input: { invoice_id: paid!, amount: 400n, reason: "outage", settlement: "credit" },
    });

    // The 400 pays the overdue 300 first; the 100 left is credit, with nothing open beside it.
    expect([await due(overdue!), await customerCredit(handle.db, c, "USD")]).toEqual([0n, 100n]);
    expect(await creditBesideDue(c, "USD")).toEqual([]);
    expect(await jobsOf("invoice.paid", overdue!)).toEqual(["invoice.paid"]);
    // credit_note.issued e-mails the note: announced on its own invoice only.
    expect(await jobsOf("credit_note.issued", overdue!)).toEqual([]);
    await eventsSumToZero(c);
    const statement = await customerStatement(ctx(), c);
    expect([statement.balance, statement.credit]).toEqual([-100n, 100n]);

    // The credit note's dunning.evaluate, then the next run past the suspension's day.
    await evaluateCustomerDunning(ctx(), c, NOW);
    expect(await statusOf(c)).toBe("active");
    const suspension = new Date("2026-12-20T10:00:00Z");
    await evaluateCustomerDunning(ctx(suspension), c, suspension);
    expect(await statusOf(c)).toBe("active");
  });
});

describe("a payment against one invoice that pays more than it owes", () => {
  it("pays the customer's other open invoices with the rest, oldest first, before any becomes credit", async () => {
    const c = await customer();
    const [older, newer] = await issueInvoices(
      handle.db,
      [
        { customerId: c, total: 300n },
        { customerId: c, total: 200n },
      ],
      { now: NOW },
    );
    const r = await recordPayment({
      ctx: ctx(),
      input: { invoice_id: newer!, amount: 450n, method: "bank_transfer", reference: `OVER-${c}` },
    });
    expect(r.payment.credit).toBe(250n);
    expect([await due(newer!), await due(older!), await customerCredit(handle.db, c, "USD")]).toEqual([
      0n,
      50n,
      0n,
    ]);
    await eventsSumToZero(c);
  });
});

describe("with CREDIT_APPLY_ON_FINALIZE off", () => {
  it("keeps credit as credit after a refund reopens an invoice, and dunning still counts it", async () => {
    const off = (now = NOW) => billingContext(handle, { CREDIT_APPLY_ON_FINALIZE: "false" }, now);
    const c = await customer();
    const [inv] = await issueInvoices(handle.db, [{ customerId: c, total: 144n }], { now: NOW });
    const first = await recordPayment({
      ctx: off(),
      input: { invoice_id: inv!, amount: 144n, method: "bank_transfer", reference: `OFF-1-${c}` },
    });
    await recordPayment({
      ctx: off(),
      input: { customer_id: c, amount: 500n, method: "bank_transfer", reference: `OFF-2-${c}` },
    });
    await refundPayment({ ctx: off(), input: { payment_id: first.payment.id, amount: 144n } });
    // The provider applies credit by hand (or refunds it): the reopened invoice owes 144 beside 500 of credit.
    expect([await due(inv!), await customerCredit(handle.db, c, "USD")]).toEqual([144n, 500n]);
    await eventsSumToZero(c);
    const later = new Date(NOW.getTime() + 45 * DAY);
    await evaluateCustomerDunning(off(later), c, later);
    expect(await statusOf(c)).toBe("active");
  });
});
