import { randomBytes } from "node:crypto";
import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customerCredit, invoiceAmountDue, postLedgerEvent } from "../../billing/ledger/ledger.ts";
import { recordRefundIn } from "../../billing/payments/refund-payment.ts";
import { recordPayment } from "../../billing/payments/record-payment.ts";
import { refundThroughProvider } from "../../billing/providers/refund-through-provider.ts";
import { signedWebhook } from "../../billing/providers/testing/fake-stripe.ts";
import { type StripeWorld, startStripeWorld } from "../../billing/providers/testing/stripe-world.ts";
import { parseConfig } from "../../config.ts";
import type { Database } from "../../db/schema.ts";
import { insertCustomerRow } from "../../../test/helpers/service-test.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";

// Online card payments end to end (issue 11 item 4): tokenbill's HTTP server, the real Stripe SDK against the
// fake Stripe API, and webhooks signed the way Stripe signs them. Amounts are billing-rules §7's example.

let world: StripeWorld;
/** A server over the same database with online payments off. */
let off: TestServer;

beforeAll(async () => {
  world = await startStripeWorld();
  off = await startTestServer(world.db);
});
afterAll(async () => {
  await off?.close();
  await world?.close();
});

let run = 0;

/** A finalized invoice of `total` minor units (USD) for a new customer, with its finalization in the ledger. */
async function finalizedInvoice(
  db: Kysely<Database>,
  total: bigint,
): Promise<{ id: string; customerId: bigint }> {
  const customerId = await insertCustomerRow(db, { currency: "USD" });
  const n = ++run;
  const id = `inv_${randomBytes(6).toString("hex")}`;
  const [start, end] = [new Date("2026-10-01T00:00:00Z"), new Date("2026-11-01T00:00:00Z")];
  if (n === 1)
    await sql`INSERT INTO billing_run (id, period, period_start, period_end, source, actor, started_at, heartbeat_at)
      VALUES ('run_5e1', '2026-10', ${start}, ${end}, 'test', 'test', ${end}, ${end})`.execute(db);
  await sql`INSERT INTO invoice (id, customer_id, period, period_start, period_end, customer_name, customer_email,
    customer_country, currency_code, currency, base_token_unit_cost, tax_compound, tax_exempt, tokens, subtotal,
    discount_total, net, tax_total, total, fingerprint, billing_run_id, status, number, number_sequence,
    number_value, issue_date, due_date, finalized_at)
    VALUES (${id}, ${customerId}, '2026-10', ${start}, ${end}, 'Ada', 'ada@example.com', 'US', 'USD',
    '{"code": "USD", "exponent": 2}', 0.001,
    false, false, 0, ${total}, 0, ${total}, 0, ${total}, 'f', 'run_5e1', 'finalized', ${`INV-2026-S${n}`},
    'stripe-test', ${n}, '2026-11-01', '2026-11-15', ${end})`.execute(db);
  await db.transaction().execute((trx) =>
    postLedgerEvent(trx, {
      id: `fin:${id}`,
      kind: "invoice_finalized",
      customerId,
      currency: "USD",
      at: end,
      lines: [
        { account: "receivable", amount: total, invoiceId: id },
        { account: "sales", amount: -total },
      ],
    }),
  );
  return { id, customerId };
}

async function invoiceState(id: string) {
  const row = await world.db
    .selectFrom("invoice")
    .select("status")
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  return { status: row.status, due: await invoiceAmountDue(world.db, id) };
}

async function ledgerOf(eventPrefix: string) {
  const rows = await world.db
    .selectFrom("ledger_entry")
    .select(["event_id", "account", "amount", "invoice_id"])
    .where("event_id", "like", `${eventPrefix}%`)
    .orderBy("id")
    .execute();
  return rows.map((r) => ({ account: r.account, amount: r.amount, invoice_id: r.invoice_id }));
}

async function counts() {
  const [payments, entries, refunds] = await Promise.all(
    (["payment", "ledger_entry", "refund"] as const).map((t) =>
      world.db.selectFrom(t).select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow(),
    ),
  );
  return { payments: payments!.n, entries: entries!.n, refunds: refunds!.n };
}

describe("Stripe checkout and webhooks", () => {
  it("pays an invoice's amount due through Checkout, recorded only from the signed webhook, once", async () => {
    const invoice = await finalizedInvoice(world.db, 1020n);
    // billing-rules §7: invoice $10.20; payment $4.00 → partially_paid, due $6.20.
    await recordPayment({
      ctx: world.context(),
      input: { invoice_id: invoice.id, amount: 400n, method: "bank_transfer", reference: `bt-${invoice.id}` },
    });
    expect(await invoiceState(invoice.id)).toEqual({ status: "partially_paid", due: 620n });

    const checkout = await world.server.api("POST", `/api/v1/invoices/${invoice.id}/checkout`);
    expect(checkout.status).toBe(201);
    expect(checkout.body.data).toMatchObject({
      provider: "stripe",
      invoice_id: invoice.id,
      amount: 620,
      currency: "USD",
    });
    const session = world.fake.sessions.get(checkout.body.data.id)!;
    expect(session).toMatchObject({
      amount_total: 620,
      currency: "usd",
      metadata: { invoice_id: invoice.id, customer_id: String(invoice.customerId) },
    });
    expect(checkout.body.data.url).toBe(session.url);
    // Asking for a checkout pays nothing.
    expect(await invoiceState(invoice.id)).toEqual({ status: "partially_paid", due: 620n });

    const event = world.fake.completeSession(session.id);
    const first = await world.deliver(event);
    expect(first).toEqual({
      status: 200,
      body: { received: true, event_id: event.id, outcome: "processed" },
    });
    expect(await invoiceState(invoice.id)).toEqual({ status: "paid", due: 0n });
    const payment = await world.db
      .selectFrom("payment")
      .selectAll()
      .where("method", "=", "stripe")
      .where("reference", "=", session.payment_intent!)
      .executeTakeFirstOrThrow();
    expect(payment).toMatchObject({ amount: 620n, currency_code: "USD", invoice_id: invoice.id });
    expect(await ledgerOf(`pay:${payment.id}`)).toEqual([
      { account: "cash", amount: 620n, invoice_id: null },
      { account: "receivable", amount: -620n, invoice_id: invoice.id },
    ]);
    const stored = await world.db
      .selectFrom("provider_event")
      .selectAll()
      .where("event_id", "=", event.id)
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ provider: "stripe", type: "checkout.session.completed", error: null });
    expect(stored.processed_at).toBeInstanceOf(Date);

    // Stripe delivers the same event again (a retry, a replay): 200, nothing changes.
    const before = await counts();
    const again = await world.deliver(event);
    expect(again).toEqual({
      status: 200,
      body: { received: true, event_id: event.id, outcome: "duplicate" },
    });
    expect(await counts()).toEqual(before);
    expect(await invoiceState(invoice.id)).toEqual({ status: "paid", due: 0n });
  });

  it("refuses a bad signature with 400 and stores nothing", async () => {
    const event = world.fake.event("checkout.session.completed", { id: "cs_forged" });
    const forged = await world.deliver(event, "whsec_not_ours");
    expect(forged.status).toBe(400);
    expect(forged.body.error).toMatchObject({ code: "VALIDATION" });
    const unsigned = await fetch(`${world.server.url}/webhooks/stripe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(event),
    });
    expect(unsigned.status).toBe(400);
    const rows = await world.db
      .selectFrom("provider_event")
      .select("event_id")
      .where("event_id", "=", event.id)
      .execute();
    expect(rows).toEqual([]);
  });

  it("refunds through Stripe: pending until Stripe's signed event, then the amount due reopens", async () => {
    const invoice = await finalizedInvoice(world.db, 1020n);
    const checkout = await world.server.api("POST", `/api/v1/invoices/${invoice.id}/checkout`);
    expect(checkout.body.data.amount).toBe(1020);
    expect((await world.deliver(world.fake.completeSession(checkout.body.data.id))).status).toBe(200);
    const payment = await world.db
      .selectFrom("payment")
      .selectAll()
      .where("invoice_id", "=", invoice.id)
      .executeTakeFirstOrThrow();

    const tooMuch = refundThroughProvider(world.context(), payment, 1021n, "too much");
    await expect(tooMuch).rejects.toMatchObject({
      code: "VALIDATION",
      message: expect.stringContaining("at most 1020"),
    });
    expect(world.fake.refunds.size).toBe(0);
    // The admin API's refund of a Stripe payment goes back through Stripe (refundPayment → the provider).
    const asked = await world.server.api("POST", `/api/v1/payments/${payment.id}/refunds`, {
      amount: 400,
      reason: "customer asked",
    });
    expect(asked.status).toBe(201);
    const refund = asked.body.data as { id: string; status: string; provider_refund_id: string };
    expect(refund).toMatchObject({ status: "pending", amount: 400, payment_id: payment.id });
    const inStripe = world.fake.refunds.get(refund.provider_refund_id!)!;
    expect(inStripe).toMatchObject({ amount: 400, payment_intent: payment.reference });
    expect(await ledgerOf(`ref:${refund.id}`)).toEqual([]);
    expect(await invoiceState(invoice.id)).toEqual({ status: "paid", due: 0n });

    const settled = await world.deliver(world.fake.settleRefund(inStripe.id, "succeeded"));
    expect(settled.body).toMatchObject({ outcome: "processed" });
    const row = await world.db
      .selectFrom("refund")
      .selectAll()
      .where("id", "=", refund.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe("succeeded");
    expect(await ledgerOf(`ref:${refund.id}`)).toEqual([
      { account: "cash", amount: -400n, invoice_id: null },
      { account: "receivable", amount: 400n, invoice_id: invoice.id },
    ]);
    expect(await invoiceState(invoice.id)).toEqual({ status: "partially_paid", due: 400n });
  });

  it("records a refund made in Stripe's Dashboard from its event", async () => {
    const invoice = await finalizedInvoice(world.db, 514n);
    const checkout = await world.server.api("POST", `/api/v1/invoices/${invoice.id}/checkout`);
    await world.deliver(world.fake.completeSession(checkout.body.data.id));
    const intent = world.fake.sessions.get(checkout.body.data.id)!.payment_intent!;
    const dashboard = world.fake.event("refund.created", {
      id: "re_dashboard_1",
      object: "refund",
      amount: 514,
      currency: "usd",
      payment_intent: intent,
      status: "succeeded",
      reason: "requested_by_customer",
      metadata: {},
    });
    expect((await world.deliver(dashboard)).body).toMatchObject({ outcome: "processed" });
    const row = await world.db
      .selectFrom("refund")
      .selectAll()
      .where("provider_refund_id", "=", "re_dashboard_1")
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ amount: 514n, status: "succeeded", reason: "requested_by_customer" });
    expect(await invoiceState(invoice.id)).toEqual({ status: "finalized", due: 514n });
  });

  /** A finalized invoice paid in full through Checkout, and its payment row. */
  async function paidByCard(total: bigint) {
    const invoice = await finalizedInvoice(world.db, total);
    return { invoice, payment: await world.payByCard(invoice.id) };
  }
  const creditOf = (customerId: bigint) => customerCredit(world.db, customerId, "USD");
  const refundRows = (paymentId: string) =>
    world.db
      .selectFrom("refund")
      .select(["amount", "status", "provider_refund_id", "credit_note_id"])
      .where("payment_id", "=", paymentId)
      .orderBy("id")
      .execute();

  it("refunds a credit note's share of a card payment through Stripe, taking back the note's credit once settled", async () => {
    const { invoice, payment } = await paidByCard(500n);
    const note = await world.server.api("POST", `/api/v1/invoices/${invoice.id}/credit-notes`, {
      amount: 100,
      reason: "outage",
      settlement: "refund",
    });
    expect(note.status).toBe(201);
    // Before, the note wrote a "succeeded" refund and asked Stripe nothing: the books said refunded, the
    // customer got no money. Now Stripe is asked, and the 100 is the customer's credit until Stripe settles it.
    const [refund] = await refundRows(payment.id);
    expect(refund).toMatchObject({ amount: 100n, status: "pending", credit_note_id: note.body.data.id });
    expect(world.fake.refunds.get(refund!.provider_refund_id!)).toMatchObject({
      amount: 100,
      payment_intent: payment.reference,
    });
    expect([await invoiceState(invoice.id), await creditOf(invoice.customerId)]).toEqual([
      { status: "paid", due: 0n },
      100n,
    ]);
    const settled = await world.deliver(world.fake.settleRefund(refund!.provider_refund_id!, "succeeded"));
    expect(settled.body.outcome).toBe("processed");
    // The refund took the note's credit back; the invoice the note corrected is not reopened.
    expect([await invoiceState(invoice.id), await creditOf(invoice.customerId)]).toEqual([
      { status: "paid", due: 0n },
      0n,
    ]);
    expect((await refundRows(payment.id))[0]!.status).toBe("succeeded");
  });

  it("keeps a credit note whose refund Stripe refuses: its amount stays credit, the reservation failed", async () => {
    const { invoice, payment } = await paidByCard(300n);
    // Refunded in Stripe's Dashboard without tokenbill hearing of it yet: Stripe refuses a second refund.
    world.fake.addRefund({
      id: "re_elsewhere",
      amount: 300,
      payment_intent: payment.reference,
      status: "succeeded",
    });
    const note = await world.server.api("POST", `/api/v1/invoices/${invoice.id}/credit-notes`, {
      amount: 50,
      reason: "outage",
      settlement: "refund",
    });
    expect(note.status).toBe(201);
    expect(await refundRows(payment.id)).toEqual([
      { amount: 50n, status: "failed", provider_refund_id: null, credit_note_id: note.body.data.id },
    ]);
    expect(await creditOf(invoice.customerId)).toBe(50n);
  });

  it("keeps a refund whose answer Stripe lost pending and holding its amount, so trying again cannot refund twice", async () => {
    const { invoice, payment } = await paidByCard(2000n);
    const calls = world.refundCalls();
    world.fake.refundAnswersLost = true;
    let asked: Awaited<ReturnType<typeof world.server.api>>;
    try {
      asked = await world.server.api("POST", `/api/v1/payments/${payment.id}/refunds`, { amount: 2000 });
    } finally {
      world.fake.refundAnswersLost = false;
    }
    // Made in Stripe, its answer lost on the first request and on both of the SDK's retries (one key).
    expect(asked.status).toBe(202);
    const refund = asked.body.data as { id: string };
    expect(asked.body.data).toMatchObject({ status: "pending", amount: 2000, provider_refund_id: null });
    expect(world.refundCalls()).toBe(calls + 3);
    const inStripe = [...world.fake.refunds.values()].filter((r) => r.payment_intent === payment.reference);
    expect(inStripe.map((r) => [r.amount, r.metadata["tokenbill_refund_id"]])).toEqual([[2000, refund.id]]);

    // Staff try again: the amount is still held. Until 2026-12-06 it was freed, and Stripe refunded it twice.
    const again = await world.server.api("POST", `/api/v1/payments/${payment.id}/refunds`, { amount: 2000 });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toContain("at most 0");
    expect(world.refundCalls()).toBe(calls + 3);
    expect(await invoiceState(invoice.id)).toEqual({ status: "paid", due: 0n });

    // Stripe's event settles the reservation by its metadata.
    const settled = await world.deliver(world.fake.settleRefund(inStripe[0]!.id, "succeeded"));
    expect(settled.body).toMatchObject({ outcome: "processed" });
    expect(await refundRows(payment.id)).toEqual([
      { amount: 2000n, status: "succeeded", provider_refund_id: inStripe[0]!.id, credit_note_id: null },
    ]);
    expect(await invoiceState(invoice.id)).toEqual({ status: "finalized", due: 2000n });
  });

  it("reserves a refund before Stripe is asked: two at once for the same money reach Stripe once", async () => {
    const { payment } = await paidByCard(500n);
    const before = world.fake.refunds.size;
    const answers = await Promise.all(
      [1, 2].map(() => world.server.api("POST", `/api/v1/payments/${payment.id}/refunds`, { amount: 300 })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 400]);
    expect(answers.find((a) => a.status === 400)!.body.error.message).toContain("at most 200");
    // Before, both passed the check, Stripe refunded both, and the second was refused only afterwards.
    expect(world.fake.refunds.size).toBe(before + 1);
  });

  it("settles a reservation from Stripe's event even before tokenbill has linked it, by the refund's metadata", async () => {
    const { payment } = await paidByCard(400n);
    const reserved = await world.db
      .transaction()
      .execute((trx) =>
        recordRefundIn(
          trx,
          { ...world.context(), db: trx },
          { payment_id: payment.id, amount: 150n, status: "pending" },
        ),
      );
    const object = {
      id: "re_early_1",
      object: "refund",
      amount: 150,
      currency: "usd",
      payment_intent: payment.reference,
      status: "succeeded",
      reason: null,
      metadata: { tokenbill_payment_id: payment.id, tokenbill_refund_id: reserved.id },
    };
    expect((await world.deliver(world.fake.event("refund.updated", object))).body.outcome).toBe("processed");
    expect(await refundRows(payment.id)).toEqual([
      { amount: 150n, status: "succeeded", provider_refund_id: "re_early_1", credit_note_id: null },
    ]);
  });

  it("records a refund Stripe announces failed before it announces it created, and holds nothing for it", async () => {
    const { payment } = await paidByCard(500n);
    const refund = {
      id: "re_out_of_order",
      object: "refund",
      amount: 500,
      currency: "usd",
      payment_intent: payment.reference,
      reason: null,
      metadata: {},
    };
    const failed = world.fake.event("refund.failed", { ...refund, status: "failed" });
    const created = world.fake.event("refund.created", { ...refund, status: "pending" });
    expect((await world.deliver(failed)).body.outcome).toBe("processed");
    expect((await world.deliver(created)).body.outcome).toBe("ignored");
    // Before, the late "pending" reserved the whole payment for good: no refund of it could be made again.
    expect(await refundRows(payment.id)).toEqual([
      { amount: 500n, status: "failed", provider_refund_id: "re_out_of_order", credit_note_id: null },
    ]);
    const again = await world.server.api("POST", `/api/v1/payments/${payment.id}/refunds`, { amount: 500 });
    expect(again.status).toBe(201);
  });

  it("gives a refund that failed after it succeeded back to the invoice it reopened, and only the rest as credit", async () => {
    const { invoice, payment } = await paidByCard(500n);
    const asked = await world.server.api("POST", `/api/v1/payments/${payment.id}/refunds`, { amount: 200 });
    const ref = asked.body.data.provider_refund_id as string;
    await world.deliver(world.fake.settleRefund(ref, "succeeded"));
    expect(await invoiceState(invoice.id)).toEqual({ status: "partially_paid", due: 200n });
    const failedLater = await world.deliver(world.fake.settleRefund(ref, "failed"));
    expect(failedLater.body.outcome).toBe("processed");
    // Until 2026-12-04 "left as is", and the books said the customer had 200 back that never reached them;
    // until 2026-12-06 the 200 became credit beside the invoice still owing it, and dunning suspended the
    // customer for an invoice their credit covered.
    expect([await invoiceState(invoice.id), await creditOf(invoice.customerId)]).toEqual([
      { status: "paid", due: 0n },
      0n,
    ]);
    expect((await refundRows(payment.id))[0]!.status).toBe("failed");
    // Announced twice on its invoice: made, then come back (until 2026-12-06 the second was never sent).
    const announced = await world.db
      .selectFrom("job")
      .select(sql<string>`payload->>'event'`.as("event"))
      .where("kind", "=", "invoice.event")
      .where(sql<string>`payload->>'refund_id'`, "=", asked.body.data.id)
      .execute();
    expect(announced.map((j) => j.event)).toEqual(["payment.refunded", "payment.refunded"]);

    // Paid again meanwhile by a bank transfer: the returned money has no invoice to go to, and is credit.
    const second = await world.server.api("POST", `/api/v1/payments/${payment.id}/refunds`, { amount: 100 });
    const ref2 = second.body.data.provider_refund_id as string;
    await world.deliver(world.fake.settleRefund(ref2, "succeeded"));
    await recordPayment({
      ctx: world.context(),
      input: { invoice_id: invoice.id, amount: 100n, method: "bank_transfer", reference: `bt-${invoice.id}` },
    });
    await world.deliver(world.fake.settleRefund(ref2, "failed"));
    expect([await invoiceState(invoice.id), await creditOf(invoice.customerId)]).toEqual([
      { status: "paid", due: 0n },
      100n,
    ]);
  });

  it("takes a second event for a payment already recorded as that payment, not as a failure", async () => {
    const invoice = await finalizedInvoice(world.db, 700n);
    const checkout = await world.server.api("POST", `/api/v1/invoices/${invoice.id}/checkout`);
    const completed = world.fake.completeSession(checkout.body.data.id);
    expect((await world.deliver(completed)).body.outcome).toBe("processed");
    // The same session's payment told again under another event id (async_payment_succeeded also says paid).
    const again = world.fake.event("checkout.session.async_payment_succeeded", completed.data.object);
    expect(await world.deliver(again)).toMatchObject({
      status: 200,
      body: { outcome: "ignored" },
    });
    const payments = await world.db
      .selectFrom("payment")
      .select("amount")
      .where("reference", "=", world.fake.sessions.get(checkout.body.data.id)!.payment_intent!)
      .execute();
    expect(payments).toEqual([{ amount: 700n }]);
  });

  it("refuses a signed body that is not a Stripe event with 400, storing nothing", async () => {
    const storedEvents = () =>
      world.db
        .selectFrom("provider_event")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
    const before = await storedEvents();
    const { body, headers } = signedWebhook([1, 2], world.webhookSecret);
    const response = await fetch(`${world.server.url}/webhooks/stripe`, { method: "POST", headers, body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      "not a Stripe event",
    );
    expect(await storedEvents()).toEqual(before);
  });

  it("keeps an event that fails with its error, answers 5xx, and processes it when Stripe sends it again", async () => {
    const invoice = await finalizedInvoice(world.db, 1020n);
    const checkout = await world.server.api("POST", `/api/v1/invoices/${invoice.id}/checkout`);
    const session = world.fake.sessions.get(checkout.body.data.id)!;
    // More than any payment may be (10^15 minor units): recordPayment refuses it. (A currency other than the
    // invoice's did this until 2026-12-06; such a checkout is now not recorded, and answered 200.)
    session.amount_total = 1_000_000_000_000_001;
    const event = world.fake.completeSession(session.id);
    const failed = await world.deliver(event);
    expect(failed.status).toBe(500);
    expect(failed.body.error.message).toContain(event.id);
    const stored = await world.db
      .selectFrom("provider_event")
      .selectAll()
      .where("event_id", "=", event.id)
      .executeTakeFirstOrThrow();
    expect(stored.processed_at).toBeNull();
    expect(stored.error).toMatch(/at most 1000000000000000/);
    expect(await invoiceState(invoice.id)).toEqual({ status: "finalized", due: 1020n });

    // The stored event is not a "duplicate": Stripe's retry processes it again (and fails again here).
    expect((await world.deliver(event)).status).toBe(500);
    const fixed = world.fake.event("checkout.session.completed", { ...session, amount_total: 1020 });
    expect((await world.deliver(fixed)).body).toMatchObject({ outcome: "processed" });
    expect(await invoiceState(invoice.id)).toEqual({ status: "paid", due: 0n });
  });

  it("records a payment whose event carries a NUL or a terminal escape (what the paying customer typed)", async () => {
    // PostgreSQL refuses a NUL in jsonb and text: the event was never stored, every delivery answered 500,
    // and the money that came in was never recorded.
    const invoice = await finalizedInvoice(world.db, 700n);
    const checkout = await world.server.api("POST", `/api/v1/invoices/${invoice.id}/checkout`);
    const session = world.fake.sessions.get(checkout.body.data.id)!;
    Object.assign(session, { customer_details: { name: "Ada\u0000\u001b[2J", email: "ada@example.com" } });
    const event = world.fake.completeSession(session.id);
    expect(await world.deliver(event)).toEqual({
      status: 200,
      body: { received: true, event_id: event.id, outcome: "processed" },
    });
    expect(await invoiceState(invoice.id)).toEqual({ status: "paid", due: 0n });
    const stored = await world.db
      .selectFrom("provider_event")
      .select("payload")
      .where("event_id", "=", event.id)
      .executeTakeFirstOrThrow();
    expect(stored.payload).toMatchObject({
      data: { object: { customer_details: { name: "Ada\uFFFD\uFFFD[2J" } } },
    });

    const intent = session.payment_intent!;
    const dashboard = world.fake.event("refund.created", {
      id: "re_dashboard_nul",
      object: "refund",
      amount: 100,
      currency: "usd",
      payment_intent: intent,
      status: "pending",
      reason: null,
      metadata: { reason: "goodwill\u0000" },
    });
    expect((await world.deliver(dashboard)).body).toMatchObject({ outcome: "processed" });
    const refund = await world.db
      .selectFrom("refund")
      .select("reason")
      .where("provider_refund_id", "=", "re_dashboard_nul")
      .executeTakeFirstOrThrow();
    expect(refund.reason).toBe("goodwill\uFFFD");
  });

  it("ignores a session paid on the same Stripe account for something else, instead of failing it for good", async () => {
    // Another shop on the account sets client_reference_id (or another tokenbill names its own invoice): no
    // invoice of ours has that id. A 500 made Stripe send it again for days, and Stripe disables an
    // endpoint that keeps failing, with every later event of ours.
    const before = await counts();
    for (const [reference, metadata] of [
      ["order-4711", {}],
      [null, { invoice_id: "inv_0123456789ab" }],
    ] as const) {
      const foreign = world.fake.event("checkout.session.completed", {
        id: `cs_foreign_${randomBytes(4).toString("hex")}`,
        object: "checkout.session",
        mode: "payment",
        payment_status: "paid",
        payment_intent: `pi_foreign_${randomBytes(4).toString("hex")}`,
        amount_total: 999,
        currency: "usd",
        client_reference_id: reference,
        metadata,
      });
      expect(await world.deliver(foreign)).toEqual({
        status: 200,
        // "ignored", not "processed": nothing in the books changed.
        body: { received: true, event_id: foreign.id, outcome: "ignored" },
      });
    }
    expect(await counts()).toEqual(before);
  });

  it("does not record a checkout paid in another currency than its invoice's, and does not fail it for good", async () => {
    const invoice = await finalizedInvoice(world.db, 500n);
    const before = await counts();
    const euros = world.fake.event("checkout.session.completed", {
      id: `cs_eur_${randomBytes(4).toString("hex")}`,
      object: "checkout.session",
      mode: "payment",
      payment_status: "paid",
      payment_intent: `pi_eur_${randomBytes(4).toString("hex")}`,
      amount_total: 500,
      currency: "eur",
      client_reference_id: null,
      metadata: { invoice_id: invoice.id },
    });
    // Until 2026-12-06 a 500 on every delivery: the payment refused as "currency: must be USD".
    expect(await world.deliver(euros)).toEqual({
      status: 200,
      body: { received: true, event_id: euros.id, outcome: "ignored" },
    });
    expect(await counts()).toEqual(before);
    expect(await invoiceState(invoice.id)).toEqual({ status: "finalized", due: 500n });
  });

  it("refuses a checkout for an invoice with nothing due or not issued", async () => {
    const invoice = await finalizedInvoice(world.db, 300n);
    await recordPayment({
      ctx: world.context(),
      input: { invoice_id: invoice.id, amount: 300n, method: "manual", reference: `m-${invoice.id}` },
    });
    const paid = await world.server.api("POST", `/api/v1/invoices/${invoice.id}/checkout`);
    expect(paid.status).toBe(409);
    expect(paid.body.error.message).toMatch(/is paid/);
    expect((await world.server.api("POST", "/api/v1/invoices/inv_ffff/checkout")).status).toBe(404);
    expect((await world.server.api("POST", "/api/v1/invoices/nope/checkout")).status).toBe(400);
  });

  it("says online payments are off without STRIPE_SECRET_KEY", async () => {
    const invoice = await finalizedInvoice(world.db, 1020n);
    const checkout = await off.api("POST", `/api/v1/invoices/${invoice.id}/checkout`);
    expect(checkout.status).toBe(409);
    expect(checkout.body.error.message).toMatch(/^online payments are off: set STRIPE_SECRET_KEY/);
    const webhook = await world.deliverTo(off, world.fake.event("checkout.session.completed", {}));
    expect(webhook.status).toBe(404);
    expect(webhook.body.error.message).toMatch(/^online payments are off/);
    expect(() => parseConfig({ STRIPE_SECRET_KEY: world.secretKey })).toThrow(
      /STRIPE_WEBHOOK_SECRET: is required/,
    );
  });

  it("needs the admin key for a checkout, and none for the webhook", async () => {
    const invoice = await finalizedInvoice(world.db, 1020n);
    const anonymous = await fetch(`${world.server.url}/api/v1/invoices/${invoice.id}/checkout`, {
      method: "POST",
    });
    expect(anonymous.status).toBe(401);
    const routes = world.server.app.routeTable.filter(
      (r) => r.url.includes("stripe") || r.url.endsWith("/checkout"),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        { method: "POST", url: "/webhooks/stripe", access: "public" },
        {
          method: "POST",
          url: "/api/v1/invoices/:id/checkout",
          access: "admin",
          keyRoles: ["admin", "billing"],
        },
      ]),
    );
  });
});
