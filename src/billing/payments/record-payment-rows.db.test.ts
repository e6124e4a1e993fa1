import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { issueCreditNote } from "../credit-notes/issue-credit-note.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { recordPayment } from "./record-payment.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// Every row a payment against an invoice writes, column by column: the payment, its ledger event, the
// invoice's state, the jobs (kinds, payloads, ordering keys, in the order they run), the audit row. These
// are the rows the step-by-step implementation wrote; the one-statement path must write exactly them.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const NOW = new Date("2026-11-20T10:00:00Z");
const ISSUED = new Date("2026-11-01T01:00:00Z");
const ctx = (): ServiceContext => ({ ...billingContext(handle, {}, NOW), requestId: "req-rows" });
let n = 0;
async function customer(): Promise<bigint> {
  const [id] = await createCustomers(handle, [{ email: `rows${n++}@example.com` }]);
  return id!;
}

/** Job and audit ids before a call, so the rows it writes can be told apart. */
async function marks() {
  const max = async (t: "job" | "audit_log") =>
    (
      await handle.db
        .selectFrom(t)
        .select((eb) => eb.fn.coalesce(eb.fn.max("id"), eb.lit(0)).as("m"))
        .executeTakeFirstOrThrow()
    ).m as bigint;
  return { job: BigInt(await max("job")), audit: BigInt(await max("audit_log")) };
}

async function pay(invoiceId: string, amount: bigint, reference: string, paidAt?: string) {
  const before = await marks();
  const result = await recordPayment({
    ctx: ctx(),
    input: {
      invoice_id: invoiceId,
      amount,
      method: "bank_transfer",
      reference,
      ...(paidAt ? { paid_at: paidAt } : {}),
    },
  });
  const id = result.payment.id;
  const db = handle.db;
  return {
    result,
    payment: await db.selectFrom("payment").selectAll().where("id", "=", id).executeTakeFirstOrThrow(),
    ledger: await db
      .selectFrom("ledger_entry")
      .select([
        "event_id",
        "event_kind",
        "customer_id",
        "currency_code",
        "account",
        "invoice_id",
        "payment_id",
        "refund_id",
        "credit_note_id",
        "amount",
        "created_at",
      ])
      .where("event_id", "=", `pay:${id}`)
      .orderBy("id")
      .execute(),
    jobs: await db
      .selectFrom("job")
      .select(["kind", "ordering_key", "payload", "slot", "status", "attempts"])
      .where("id", ">", before.job)
      .orderBy("id")
      .execute(),
    audit: await db
      .selectFrom("audit_log")
      .select(["at", "actor", "request_id", "action", "entity", "entity_id", "before", "after"])
      .where("id", ">", before.audit)
      .orderBy("id")
      .execute(),
    invoice: await db
      .selectFrom("invoice")
      .select(["status", "updated_at"])
      .where("id", "=", invoiceId)
      .executeTakeFirstOrThrow(),
  };
}

const entry = (
  paymentId: string,
  customerId: bigint,
  account: string,
  amount: bigint,
  invoiceId: string | null = null,
) => ({
  event_id: `pay:${paymentId}`,
  event_kind: "payment",
  customer_id: customerId,
  currency_code: "USD",
  account,
  invoice_id: invoiceId,
  payment_id: paymentId,
  refund_id: null,
  credit_note_id: null,
  amount,
  created_at: NOW,
});
const job = (kind: string, orderingKey: string, payload: object) => ({
  kind,
  ordering_key: orderingKey,
  payload,
  slot: null,
  status: "pending",
  attempts: 0,
});
const received = (invoiceId: string, paymentId: string) =>
  job("invoice.event", `invoice:${invoiceId}`, {
    invoice_id: invoiceId,
    event: "payment.received",
    at: NOW.toISOString(),
    payment_id: paymentId,
  });
const paidEvent = (invoiceId: string) =>
  job("invoice.event", `invoice:${invoiceId}`, {
    invoice_id: invoiceId,
    event: "invoice.paid",
    at: NOW.toISOString(),
  });
const dunning = (customerId: bigint) =>
  job("dunning.evaluate", `dunning:${customerId}`, { customer_id: String(customerId) });
const audit = (
  paymentId: string,
  customerId: bigint,
  invoiceId: string,
  amount: number,
  reference: string,
  allocated: number,
  credit: number,
  states: { id: string; from: string; to: string }[],
) => ({
  at: NOW,
  actor: "system:test",
  request_id: "req-rows",
  action: "payment.record",
  entity: "payment",
  entity_id: paymentId,
  before: null,
  after: {
    amount: String(amount),
    currency: "USD",
    method: "bank_transfer",
    reference,
    invoice_id: invoiceId,
    customer_id: String(customerId),
    allocations: allocated === 0 ? [] : [{ invoice_id: invoiceId, amount: String(allocated) }],
    credit: String(credit),
    invoice_states: states,
  },
});

describe("the rows a payment against an invoice writes", () => {
  it("$4 then $6 of a $10 invoice: partially_paid, then paid with invoice.paid ahead of payment.received", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(handle.db, [{ customerId: c, total: 1000n }]);

    const first = await pay(inv!, 400n, "ROWS-1", "2026-11-18");
    const p1 = first.payment.id;
    expect(first.payment).toEqual({
      id: p1,
      customer_id: c,
      currency_code: "USD",
      amount: 400n,
      method: "bank_transfer",
      reference: "ROWS-1",
      invoice_id: inv,
      paid_at: new Date("2026-11-18T00:00:00Z"),
      created_at: NOW,
    });
    expect(first.ledger).toEqual([entry(p1, c, "cash", 400n), entry(p1, c, "receivable", -400n, inv)]);
    expect(first.jobs).toEqual([received(inv!, p1), dunning(c)]);
    expect(first.audit).toEqual([
      audit(p1, c, inv!, 400, "ROWS-1", 400, 0, [{ id: inv!, from: "finalized", to: "partially_paid" }]),
    ]);
    expect(first.invoice).toEqual({ status: "partially_paid", updated_at: NOW });
    expect(first.result).toEqual({
      created: true,
      payment: {
        id: p1,
        customer_id: Number(c),
        invoice_id: inv,
        currency: "USD",
        amount: 400n,
        method: "bank_transfer",
        reference: "ROWS-1",
        paid_at: "2026-11-18T00:00:00.000Z",
        created_at: NOW.toISOString(),
        allocations: [{ invoice_id: inv, amount: 400n }],
        credit: 0n,
        refunded: 0n,
        refunds: [],
      },
    });

    const second = await pay(inv!, 600n, "ROWS-2");
    const p2 = second.payment.id;
    expect(second.payment.paid_at).toEqual(NOW);
    expect(second.ledger).toEqual([entry(p2, c, "cash", 600n), entry(p2, c, "receivable", -600n, inv)]);
    expect(second.jobs).toEqual([paidEvent(inv!), received(inv!, p2), dunning(c)]);
    expect(second.audit).toEqual([
      audit(p2, c, inv!, 600, "ROWS-2", 600, 0, [{ id: inv!, from: "partially_paid", to: "paid" }]),
    ]);
    expect(second.invoice).toEqual({ status: "paid", updated_at: NOW });
  });

  it("paying a paid invoice: all of it is credit, the invoice is untouched, payment.received still goes out", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(handle.db, [{ customerId: c, total: 1000n }]);
    await pay(inv!, 1000n, "ROWS-3");
    await handle.db.updateTable("invoice").set({ updated_at: ISSUED }).where("id", "=", inv!).execute();

    const again = await pay(inv!, 250n, "ROWS-4");
    const p = again.payment.id;
    expect(again.ledger).toEqual([entry(p, c, "cash", 250n), entry(p, c, "credit", -250n)]);
    expect(again.jobs).toEqual([received(inv!, p), dunning(c)]);
    expect(again.audit).toEqual([audit(p, c, inv!, 250, "ROWS-4", 0, 250, [])]);
    expect(again.invoice).toEqual({ status: "paid", updated_at: ISSUED });
    expect(again.result.payment.allocations).toEqual([]);
    expect(again.result.payment.credit).toBe(250n);
  });

  it("overpaying pays the invoice and keeps the rest as credit", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(handle.db, [{ customerId: c, total: 1000n }]);
    const over = await pay(inv!, 1200n, "ROWS-5");
    const p = over.payment.id;
    expect(over.ledger).toEqual([
      entry(p, c, "cash", 1200n),
      entry(p, c, "receivable", -1000n, inv),
      entry(p, c, "credit", -200n),
    ]);
    expect(over.jobs).toEqual([paidEvent(inv!), received(inv!, p), dunning(c)]);
    expect(over.audit).toEqual([
      audit(p, c, inv!, 1200, "ROWS-5", 1000, 200, [{ id: inv!, from: "finalized", to: "paid" }]),
    ]);
    expect(over.invoice).toEqual({ status: "paid", updated_at: NOW });
  });

  it("after a credit note, what the note took off does not count as received", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(handle.db, [{ customerId: c, total: 1000n }]);
    await issueCreditNote({ ctx: ctx(), input: { invoice_id: inv!, amount: 300n, reason: "goodwill" } });
    await handle.db.updateTable("invoice").set({ updated_at: ISSUED }).where("id", "=", inv!).execute();

    const part = await pay(inv!, 200n, "ROWS-6");
    expect(part.audit[0]!.after).toMatchObject({
      invoice_states: [{ id: inv!, from: "finalized", to: "partially_paid" }],
    });
    expect(part.invoice).toEqual({ status: "partially_paid", updated_at: NOW });
    const rest = await pay(inv!, 500n, "ROWS-7");
    expect(rest.ledger.map((e) => [e.account, e.amount])).toEqual([
      ["cash", 500n],
      ["receivable", -500n],
    ]);
    expect(rest.jobs.map((j) => j.payload)).toEqual([
      paidEvent(inv!).payload,
      received(inv!, rest.payment.id).payload,
      dunning(c).payload,
    ]);
    expect(rest.invoice.status).toBe("paid");
  });

  it("an invoice of 0 stays finalized: the payment is all credit and nothing announces it paid", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(handle.db, [{ customerId: c, total: 0n, lines: [] }]);
    const zero = await pay(inv!, 100n, "ROWS-8");
    const p = zero.payment.id;
    expect(zero.ledger).toEqual([entry(p, c, "cash", 100n), entry(p, c, "credit", -100n)]);
    expect(zero.jobs).toEqual([received(inv!, p), dunning(c)]);
    expect(zero.audit).toEqual([audit(p, c, inv!, 100, "ROWS-8", 0, 100, [])]);
    expect(zero.invoice.status).toBe("finalized");
  });
});
