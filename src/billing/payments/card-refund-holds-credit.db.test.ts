import { describe, expect, it } from "vitest";
import { unpaidInvoices } from "../dunning/evaluate-dunning.ts";
import { invoiceAmountsDue } from "../ledger/ledger.ts";
import { customerCreditHeld } from "./spendable-credit.ts";
import { cardMoneyPerFile } from "./testing/card-money-per-file.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// Found by the card ledger property (2026-12-07): a card payment of 1 to a customer with nothing open is credit
// 1; staff ask Stripe to refund it (pending until its webhook). Meanwhile an invoice was finalized and that
// credit paid it; when Stripe said the refund succeeded, the refund found the credit spent and reopened the
// invoice: the customer owed again an invoice that was paid when the refund was asked. The pending refund now
// holds the payment's credit it is to take back, as a credit note's card refund holds its note's credit.

const file = cardMoneyPerFile();

/** A refund's ledger lines by account (receivable per invoice). */
async function linesOf(refundId: string): Promise<Record<string, bigint>> {
  const rows = await file.handle.db
    .selectFrom("ledger_entry")
    .select(["account", "invoice_id", "amount"])
    .where("event_id", "=", `ref:${refundId}`)
    .execute();
  const out: Record<string, bigint> = {};
  for (const r of rows) {
    const key = r.account === "receivable" ? `receivable ${r.invoice_id}` : r.account;
    out[key] = (out[key] ?? 0n) + r.amount;
  }
  return out;
}

const invoiceState = async (id: string) => {
  const { status } = await file.handle.db
    .selectFrom("invoice")
    .select("status")
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  return { status, due: (await invoiceAmountsDue(file.handle.db, [id])).get(id) ?? 0n };
};

describe("a pending card refund of a payment", () => {
  it("holds the payment's credit: the next invoice is not paid from it, and the refund reopens nothing", async () => {
    const customer = await file.newCustomer("holds-credit-1@example.com");
    const p = await file.card.pay({ customer_id: customer }, "pi_holds_credit_1", 1n); // nothing open: credit 1
    const r = await file.card.refund(p, 1n);
    expect(await customerCreditHeld(file.handle.db, customer, "USD")).toEqual({
      credit: 1n,
      held: 1n,
      spendable: 0n,
    });

    // Finalized while the refund is pending: the held credit does not pay it, nor does dunning count it.
    const [a] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 1n }])) as [string];
    expect(await invoiceState(a)).toEqual({ status: "finalized", due: 1n });
    expect(await unpaidInvoices(file.handle.db, customer)).toMatchObject([{ id: a, amount_due: 1n }]);

    expect(await file.card.says(r.stripeId, "succeeded")).toBe("processed");
    expect(await linesOf(r.id)).toEqual({ cash: -1n, credit: 1n });
    expect(await invoiceState(a)).toEqual({ status: "finalized", due: 1n });
    expect(await customerCreditHeld(file.handle.db, customer, "USD")).toEqual({
      credit: 0n,
      held: 0n,
      spendable: 0n,
    });
  });

  it("holds only its payment's credit part: the rest reopens the invoice the payment paid", async () => {
    const customer = await file.newCustomer("holds-credit-2@example.com");
    const [x] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 2n }])) as [string];
    const p = await file.card.pay({ invoice_id: x }, "pi_holds_credit_2", 3n); // pays X's 2, credit 1
    const r = await file.card.refund(p, 3n);
    expect(await customerCreditHeld(file.handle.db, customer, "USD")).toEqual({
      credit: 1n,
      held: 1n,
      spendable: 0n,
    });
    const [a] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 5n }])) as [string];
    expect(await invoiceState(a)).toEqual({ status: "finalized", due: 5n });

    expect(await file.card.says(r.stripeId, "succeeded")).toBe("processed");
    expect(await linesOf(r.id)).toEqual({ cash: -3n, credit: 1n, [`receivable ${x}`]: 2n });
    expect(await invoiceState(x)).toEqual({ status: "finalized", due: 2n });
    expect(await invoiceState(a)).toEqual({ status: "finalized", due: 5n });
  });

  it("frees the held credit when Stripe fails the refund, and it pays the open invoice then", async () => {
    const customer = await file.newCustomer("holds-credit-3@example.com");
    const p = await file.card.pay({ customer_id: customer }, "pi_holds_credit_3", 1n);
    const r = await file.card.refund(p, 1n);
    const [a] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 1n }])) as [string];
    expect(await invoiceState(a)).toEqual({ status: "finalized", due: 1n });

    expect(await file.card.says(r.stripeId, "failed")).toBe("processed");
    expect(await invoiceState(a)).toEqual({ status: "paid", due: 0n });
    expect(await customerCreditHeld(file.handle.db, customer, "USD")).toEqual({
      credit: 0n,
      held: 0n,
      spendable: 0n,
    });
  });
});
