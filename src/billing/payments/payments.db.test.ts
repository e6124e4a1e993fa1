import { describe, expect, it } from "vitest";
import { databasePerFile } from "../../../test/helpers/database-per-file.ts";
import { issueCreditNote } from "../credit-notes/issue-credit-note.ts";
import { getInvoice } from "../invoices/get-invoice.ts";
import { markInvoicePaid } from "../invoices/mark-invoice-paid.ts";
import { voidInvoice } from "../invoices/void-invoice.ts";
import { customerBalance, customerCredit, invoiceAmountDue } from "../ledger/ledger.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { recordPayment } from "./record-payment.ts";
import { refundPayment } from "./refund.ts";
import { recordRefundIn, refundedSoFar, settleRefundIn } from "./refund-payment.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";
import { moneyRowCounts } from "./testing/money-row-counts.ts";

// Payments and refunds (billing-rules §7) on finalized fixture invoices: allocation, idempotency, races,
// refunds, and bad input that writes nothing.

const file = databasePerFile();

const ctx = () => billingContext(file.handle, {}, new Date("2026-11-20T10:00:00Z"));
let n = 0;
async function customer(currency = "USD"): Promise<bigint> {
  const [id] = await createCustomers(file.handle, [{ email: `c${n++}@example.com`, currency }]);
  return id!;
}
const due = (id: string) => invoiceAmountDue(file.handle.db, id);
const status = async (id: string) => (await getInvoice({ ctx: ctx(), input: { id } })).status;

const counts = () => moneyRowCounts(file.handle.db);

describe("recording a payment", () => {
  it("is idempotent per (method, reference): the same payment again is returned and nothing is written", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [{ customerId: c, total: 1000n }]);
    const input = { invoice_id: inv!, amount: 300n, method: "bank_transfer", reference: "R-1" };
    const first = await recordPayment({ ctx: ctx(), input });
    const before = await counts();
    const again = await recordPayment({ ctx: ctx(), input });
    expect(again.created).toBe(false);
    expect(again.payment.id).toBe(first.payment.id);
    expect(await counts()).toEqual(before);
    expect(await due(inv!)).toBe(700n);
  });

  it("refuses a different payment under a used reference (409 naming reference), writing nothing", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [{ customerId: c, total: 1000n }]);
    await recordPayment({
      ctx: ctx(),
      input: { invoice_id: inv!, amount: 300n, method: "manual", reference: "R-2" },
    });
    const before = await counts();
    await expect(
      recordPayment({
        ctx: ctx(),
        input: { invoice_id: inv!, amount: 301n, method: "manual", reference: "R-2" },
      }),
    ).rejects.toMatchObject({ code: "CONFLICT", issues: [{ field: "reference" }] });
    // The same reference under another method is another payment.
    expect(await counts()).toEqual(before);
    const other = await recordPayment({
      ctx: ctx(),
      input: { invoice_id: inv!, amount: 301n, method: "bank_transfer", reference: "R-2" },
    });
    expect(other.created).toBe(true);
  });

  it("never over-allocates under concurrent payments on one invoice", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [{ customerId: c, total: 1000n }]);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        recordPayment({
          ctx: ctx(),
          input: { invoice_id: inv!, amount: 300n, method: "manual", reference: `race-${i}` },
        }),
      ),
    );
    expect(results.every((r) => r.created)).toBe(true);
    expect(await due(inv!)).toBe(0n);
    expect(await customerCredit(file.handle.db, c, "USD")).toBe(8n * 300n - 1000n);
    const allocated = results.reduce(
      (s, r) => s + r.payment.allocations.reduce((a, x) => a + x.amount, 0n),
      0n,
    );
    expect(allocated).toBe(1000n);
    expect(await status(inv!)).toBe("paid");
  });

  it("resolves a race on one (method, reference) to one payment", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [{ customerId: c, total: 1000n }]);
    const input = { invoice_id: inv!, amount: 250n, method: "manual", reference: "same" };
    const results = await Promise.all(Array.from({ length: 5 }, () => recordPayment({ ctx: ctx(), input })));
    expect(new Set(results.map((r) => r.payment.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await due(inv!)).toBe(750n);
  });

  it("allocates a customer payment to the oldest open invoices first; the rest becomes credit", async () => {
    const c = await customer();
    const [a, b, cc] = await issueInvoices(file.handle.db, [
      { customerId: c, total: 500n },
      { customerId: c, total: 700n },
      { customerId: c, total: 300n },
    ]);
    const first = await recordPayment({
      ctx: ctx(),
      input: { customer_id: c, amount: 900n, reference: "C-1" },
    });
    expect(first.payment.allocations).toEqual(
      [
        { invoice_id: a!, amount: 500n },
        { invoice_id: b!, amount: 400n },
      ].sort((x, y) => x.invoice_id.localeCompare(y.invoice_id)),
    );
    expect([await status(a!), await status(b!), await status(cc!)]).toEqual([
      "paid",
      "partially_paid",
      "finalized",
    ]);
    await recordPayment({ ctx: ctx(), input: { customer_id: c, amount: 1000n, reference: "C-2" } });
    expect([await due(b!), await due(cc!)]).toEqual([0n, 0n]);
    expect(await customerCredit(file.handle.db, c, "USD")).toBe(400n);
    expect(await customerBalance(file.handle.db, c, "USD")).toBe(-400n);
  });

  it("records the old mark-paid as a manual payment of the whole amount due", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [{ customerId: c, total: 1020n }]);
    await expect(
      markInvoicePaid({
        ctx: ctx(),
        input: { id: inv!, amount: 1000n, date: "2026-11-10", reference: "B-9" },
      }),
    ).rejects.toMatchObject({ code: "VALIDATION", issues: [{ field: "amount" }] });
    const paid = await markInvoicePaid({
      ctx: ctx(),
      input: { id: inv!, amount: 1020n, date: "2026-11-10", reference: "B-9" },
    });
    expect(paid).toMatchObject({
      status: "paid",
      amount_due: 0n,
      payment: { amount: 1020n, reference: "B-9" },
    });
    const [p] = await file.handle.db
      .selectFrom("payment")
      .selectAll()
      .where("reference", "=", "B-9")
      .execute();
    expect([p!.method, p!.amount, p!.paid_at.toISOString()]).toEqual([
      "manual",
      1020n,
      "2026-11-10T00:00:00.000Z",
    ]);
  });
});

describe("bad input is refused naming the field, and writes nothing", () => {
  it.each([
    ["a zero amount", { amount: 0n }, "VALIDATION", "amount"],
    ["a negative amount", { amount: -5n }, "VALIDATION", "amount"],
    ["another currency", { currency: "EUR" }, "VALIDATION", "currency"],
    ["an unknown invoice", { invoice_id: "inv_00ff" }, "NOT_FOUND", "invoice_id"],
  ])("%s", async (_name, change, code, field) => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [{ customerId: c, total: 1000n }]);
    const before = await counts();
    await expect(
      recordPayment({
        ctx: ctx(),
        input: { invoice_id: inv!, amount: 100n, method: "manual", reference: `bad-${n}`, ...change },
      }),
    ).rejects.toMatchObject({ code, issues: [expect.objectContaining({ field })] });
    expect(await counts()).toEqual(before);
  });

  it("an unknown customer", async () => {
    const before = await counts();
    await expect(
      recordPayment({ ctx: ctx(), input: { customer_id: 999999n, amount: 100n, reference: "nobody" } }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", issues: [{ field: "customer_id" }] });
    expect(await counts()).toEqual(before);
  });

  it("a void invoice or a draft", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [{ customerId: c, total: 1000n }]);
    await voidInvoice({ ctx: ctx(), input: { id: inv!, reason: "mistake" } });
    const before = await counts();
    await expect(
      recordPayment({ ctx: ctx(), input: { invoice_id: inv!, amount: 100n, reference: "to-void" } }),
    ).rejects.toMatchObject({ code: "CONFLICT", issues: [{ field: "invoice_id" }] });
    expect(await counts()).toEqual(before);
  });

  it("a refund above what is left of the payment", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [{ customerId: c, total: 1000n }]);
    const { payment } = await recordPayment({
      ctx: ctx(),
      input: { invoice_id: inv!, amount: 600n, reference: `r-${n}` },
    });
    await refundPayment({ ctx: ctx(), input: { payment_id: payment.id, amount: 200n } });
    const before = await counts();
    await expect(
      refundPayment({ ctx: ctx(), input: { payment_id: payment.id, amount: 401n } }),
    ).rejects.toMatchObject({ code: "VALIDATION", issues: [{ field: "amount" }] });
    await expect(
      refundPayment({ ctx: ctx(), input: { payment_id: payment.id, amount: 0n } }),
    ).rejects.toMatchObject({
      code: "VALIDATION",
      issues: [{ field: "amount" }],
    });
    await expect(
      refundPayment({ ctx: ctx(), input: { payment_id: "pay_00ff", amount: 1n } }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", issues: [{ field: "payment_id" }] });
    expect(await counts()).toEqual(before);
  });
});

describe("refunds", () => {
  it("never make an invoice a credit note cancelled owe again (found by the ledger property test)", async () => {
    // Invoice of 2, paid by 1847 (1845 credit); a credit note of 2 on the paid invoice gives 2 more credit;
    // the refund of all 1847 must come out of the credit, leaving the invoice at 0 due.
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [{ customerId: c, total: 2n }]);
    const { payment } = await recordPayment({
      ctx: ctx(),
      input: { invoice_id: inv!, amount: 1847n, reference: `cn-${n}` },
    });
    await issueCreditNote({ ctx: ctx(), input: { invoice_id: inv!, amount: 2n, reason: "goodwill" } });
    expect(await customerCredit(file.handle.db, c, "USD")).toBe(1847n);
    await refundPayment({ ctx: ctx(), input: { payment_id: payment.id, amount: 1847n } });
    expect(await due(inv!)).toBe(0n);
    expect(await customerCredit(file.handle.db, c, "USD")).toBe(0n);
    expect(await customerBalance(file.handle.db, c, "USD")).toBe(0n);
  });

  it("take back the payment's unused credit first, then reopen its invoice", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [{ customerId: c, total: 1020n }]);
    await recordPayment({ ctx: ctx(), input: { invoice_id: inv!, amount: 400n, reference: `w1-${n}` } });
    const { payment } = await recordPayment({
      ctx: ctx(),
      input: { invoice_id: inv!, amount: 1000n, reference: `w2-${n}` },
    });
    expect(await customerCredit(file.handle.db, c, "USD")).toBe(380n);
    await refundPayment({ ctx: ctx(), input: { payment_id: payment.id, amount: 300n, reason: "asked" } });
    expect([await customerCredit(file.handle.db, c, "USD"), await due(inv!), await status(inv!)]).toEqual([
      80n,
      0n,
      "paid",
    ]);
    await refundPayment({ ctx: ctx(), input: { payment_id: payment.id, amount: 280n } });
    expect([await customerCredit(file.handle.db, c, "USD"), await due(inv!), await status(inv!)]).toEqual([
      0n,
      200n,
      "partially_paid",
    ]);
    const cash = await file.handle.db
      .selectFrom("ledger_entry")
      .select((eb) => eb.fn.sum<bigint>("amount").as("n"))
      .where("customer_id", "=", c)
      .where("account", "=", "cash")
      .executeTakeFirstOrThrow();
    expect(BigInt(cash.n)).toBe(1400n - 580n);
  });

  it("reopen invoices that spent the payment's credit when that credit is gone", async () => {
    const c = await customer();
    const [first] = await issueInvoices(file.handle.db, [{ customerId: c, total: 1000n }]);
    const { payment } = await recordPayment({
      ctx: ctx(),
      input: { invoice_id: first!, amount: 1500n, reference: `sp-${n}` },
    });
    const [second] = await issueInvoices(file.handle.db, [{ customerId: c, total: 300n }]);
    expect([await due(second!), await customerCredit(file.handle.db, c, "USD")]).toEqual([0n, 200n]);
    await refundPayment({ ctx: ctx(), input: { payment_id: payment.id, amount: 1500n } });
    expect([await due(first!), await due(second!), await customerCredit(file.handle.db, c, "USD")]).toEqual([
      1000n,
      300n,
      0n,
    ]);
    expect([await status(first!), await status(second!)]).toEqual(["finalized", "finalized"]);
  });

  it("from a provider start pending (no ledger entry), then post when they succeed, nothing when they fail", async () => {
    const c = await customer();
    const [inv] = await issueInvoices(file.handle.db, [{ customerId: c, total: 1000n }]);
    const { payment } = await recordPayment({
      ctx: ctx(),
      input: { invoice_id: inv!, amount: 1000n, method: "stripe", reference: `pi_${n}` },
    });
    const pending = await file.handle.db.transaction().execute((trx) =>
      recordRefundIn(
        trx,
        { ...ctx(), db: trx },
        {
          payment_id: payment.id,
          amount: 400n,
          status: "pending",
          provider_refund_id: `re_${n}`,
        },
      ),
    );
    expect(await due(inv!)).toBe(0n);
    // Pending holds its amount: only 600 is left to refund.
    await expect(
      file.handle.db
        .transaction()
        .execute((trx) =>
          recordRefundIn(
            trx,
            { ...ctx(), db: trx },
            { payment_id: payment.id, amount: 601n, status: "pending" },
          ),
        ),
    ).rejects.toMatchObject({ issues: [{ field: "amount" }] });
    // The refund verb sends a Stripe payment's refund back through Stripe, which is not configured here.
    await expect(
      refundPayment({ ctx: ctx(), input: { payment_id: payment.id, amount: 100n } }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    const settle = (status: "succeeded" | "failed") =>
      file.handle.db
        .transaction()
        .execute((trx) => settleRefundIn(trx, { ...ctx(), db: trx }, { refund_id: pending.id, status }));
    expect((await settle("succeeded")).status).toBe("succeeded");
    expect((await settle("succeeded")).status).toBe("succeeded");
    expect([await due(inv!), await status(inv!)]).toEqual([400n, "partially_paid"]);

    const failing = await file.handle.db
      .transaction()
      .execute((trx) =>
        recordRefundIn(
          trx,
          { ...ctx(), db: trx },
          { payment_id: payment.id, amount: 600n, status: "pending" },
        ),
      );
    const ledgerBefore = (await counts()).ledger_entry;
    await file.handle.db
      .transaction()
      .execute((trx) =>
        settleRefundIn(trx, { ...ctx(), db: trx }, { refund_id: failing.id, status: "failed" }),
      );
    expect((await counts()).ledger_entry).toBe(ledgerBefore);
    // A failed refund frees its amount again.
    await file.handle.db
      .transaction()
      .execute((trx) =>
        recordRefundIn(
          trx,
          { ...ctx(), db: trx },
          { payment_id: payment.id, amount: 600n, status: "succeeded" },
        ),
      );
    expect(await due(inv!)).toBe(1000n);
    expect(await refundedSoFar(file.handle.db, payment.id)).toBe(1000n);

    // A refund that fails after it had succeeded (the customer's bank sent the money back) is reversed: the 400
    // is the customer's again and goes where a customer payment goes, to the open invoice it had reopened, not
    // to credit beside that invoice (until 2026-12-06); 400 of the payment is refundable again.
    expect((await settle("failed")).status).toBe("failed");
    expect([await due(inv!), await customerCredit(file.handle.db, c, "USD")]).toEqual([600n, 0n]);
    expect(await refundedSoFar(file.handle.db, payment.id)).toBe(600n);
    // A failed refund never succeeds later.
    await expect(
      file.handle.db
        .transaction()
        .execute((trx) =>
          settleRefundIn(trx, { ...ctx(), db: trx }, { refund_id: failing.id, status: "succeeded" }),
        ),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    // A second refund of the payment reopens what the returned money paid.
    await file.handle.db
      .transaction()
      .execute((trx) =>
        recordRefundIn(
          trx,
          { ...ctx(), db: trx },
          { payment_id: payment.id, amount: 400n, status: "succeeded" },
        ),
      );
    expect([await due(inv!), await customerCredit(file.handle.db, c, "USD")]).toEqual([1000n, 0n]);
  });
});

describe("credit at finalization", () => {
  it("pays new invoices up to their total, in their currency only, unless the setting is off", async () => {
    const c = await customer();
    const [first] = await issueInvoices(file.handle.db, [{ customerId: c, total: 100n }]);
    await recordPayment({ ctx: ctx(), input: { invoice_id: first!, amount: 600n, reference: `cf-${n}` } });
    const [off] = await issueInvoices(file.handle.db, [{ customerId: c, total: 300n }], {
      applyCredit: false,
    });
    expect([await due(off!), await customerCredit(file.handle.db, c, "USD")]).toEqual([300n, 500n]);
    const [euro, small, big] = await issueInvoices(file.handle.db, [
      { customerId: c, total: 200n, currency: "EUR" },
      { customerId: c, total: 200n },
      { customerId: c, total: 450n },
    ]);
    expect([await due(euro!), await due(small!), await due(big!)]).toEqual([200n, 0n, 150n]);
    expect([await status(small!), await status(big!)]).toEqual(["paid", "partially_paid"]);
    expect(await customerCredit(file.handle.db, c, "USD")).toBe(0n);
  });
});

describe("void", () => {
  it("is refused once anything was paid, and gives back credit applied at finalization", async () => {
    const c = await customer();
    const [paid] = await issueInvoices(file.handle.db, [{ customerId: c, total: 1000n }]);
    await recordPayment({ ctx: ctx(), input: { invoice_id: paid!, amount: 1250n, reference: `v-${n}` } });
    await expect(voidInvoice({ ctx: ctx(), input: { id: paid!, reason: "x" } })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const [credited] = await issueInvoices(file.handle.db, [{ customerId: c, total: 1000n }]);
    expect([await due(credited!), await customerCredit(file.handle.db, c, "USD")]).toEqual([750n, 0n]);
    // Back to finalized? No: credit paid part of it; only what is finalized or draft can be voided.
    await expect(voidInvoice({ ctx: ctx(), input: { id: credited!, reason: "x" } })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const [plain] = await issueInvoices(file.handle.db, [{ customerId: c, total: 800n }]);
    const voided = await voidInvoice({ ctx: ctx(), input: { id: plain!, reason: "duplicate" } });
    expect([voided.status, voided.amount_due, await due(plain!)]).toEqual(["void", 0n, 0n]);
    expect(await customerBalance(file.handle.db, c, "USD")).toBe(750n);
  });
});
