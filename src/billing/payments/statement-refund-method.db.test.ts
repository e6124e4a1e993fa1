import { beforeAll, describe, expect, it } from "vitest";
import { pendingNoteRefund } from "../credit-notes/testing/pending-note-refund.ts";
import { pdfTableRow } from "../documents/testing/pdf-table-row.ts";
import { pdfText } from "../documents/testing/pdf-text.ts";
import { createStaffPerRole, PageClient } from "../../web/console/pricing-test-client.ts";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// A statement's refund says how the money went back: to the card through Stripe ("refunded"), or by bank
// transfer, in cash, … as staff recorded it ("paid back by bank transfer", the credit note's words). Until
// 2026-12-06 a refund row gave only its refund ids, and one credit note's refunds of payments made different
// ways were one row: the customer could not tell where to look for the money.

const file = stripeWorldPerFile();
let billing: PageClient;

beforeAll(async () => {
  await createStaffPerRole(file.world.handle, ["billing"]);
  billing = await new PageClient(file.world.server.url).logIn("billing@example.com");
});

/** `text` as a regular expression that matches it literally ("$2.50" has two special characters). */
const escaped = (text: string) => text.replace(/[$.()]/g, "\\$&");

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);

type Entry = { kind: string; reference: string; amount: number; refund_method: string | null };

/**
 * A customer with a $10.00 invoice paid by card and a $2.50 note on it refunded to the card (Stripe settled
 * it), and a $10.00 invoice paid $6.00 by bank transfer and then $4.00 in cash, with a $7.00 note on it
 * refunded: the cash payment, newest, gets its $4.00 back and the bank transfer $3.00, in the note's one event.
 */
async function refundedEachWay(email: string) {
  const { customerId, providerRefundId } = await pendingNoteRefund(file.world, email);
  expect((await file.world.deliver(file.world.fake.settleRefund(providerRefundId, "succeeded"))).status).toBe(
    200,
  );
  const [invoice] = (await issueInvoices(file.world.db, [{ customerId, total: 1000n }])) as [string];
  for (const [method, amount, paidAt] of [
    ["bank_transfer", 600, daysAgo(3)],
    ["cash", 400, daysAgo(2)],
  ] as const) {
    const paid = await file.world.server.api("POST", `/api/v1/invoices/${invoice}/payments`, {
      amount,
      method,
      reference: `${method}-${email}`,
      paid_at: paidAt,
    });
    expect(paid.status).toBe(201);
  }
  const note = await file.world.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
    amount: 700,
    reason: "outage",
    settlement: "refund",
  });
  expect(note.status).toBe(201);
  const refunds = await file.world.db
    .selectFrom("refund")
    .innerJoin("payment", "payment.id", "refund.payment_id")
    .select(["refund.id", "payment.method"])
    .where("payment.customer_id", "=", customerId)
    .execute();
  const refundOf = (method: string) => refunds.find((r) => r.method === method)!.id;
  return { customerId, card: refundOf("stripe"), bank: refundOf("bank_transfer"), cash: refundOf("cash") };
}

describe("a statement's refunds", () => {
  it("name the way each went back in the API, one row per way when one note refunded payments made two ways", async () => {
    const { customerId, card, bank, cash } = await refundedEachWay("refund-ways-api@example.com");
    const statement = await file.world.server.api("GET", `/api/v1/customers/${customerId}/statement`);
    expect(statement.status).toBe(200);
    const refunds = (statement.body.data.entries as Entry[])
      .filter((e) => e.kind === "refund")
      .map((e) => [e.reference, e.refund_method, e.amount]);
    expect(refunds).toEqual([
      [card, "stripe", 250],
      [bank, "bank_transfer", 300],
      [cash, "cash", 400],
    ]);
    // Every other entry names no refund method.
    const others = (statement.body.data.entries as Entry[]).filter((e) => e.kind !== "refund");
    expect(others.map((e) => e.refund_method)).toEqual(others.map(() => null));
    expect(statement.body.data.balance).toBe(0);
  });

  it("say it in the words of the credit note in the console's CSV and PDF", async () => {
    const { customerId, card, bank, cash } = await refundedEachWay("refund-ways-console@example.com");
    const csv = await billing.get(`/console/customers/${customerId}/statement.csv`);
    expect(csv.status).toBe(200);
    const rows = csv.text.split("\r\n");
    expect(rows[0]!.endsWith(",received,refund_method,refunded_how")).toBe(true);
    const refundRows = rows.filter((r) => r.split(",")[1] === "refund");
    expect(refundRows.map((r) => r.split(",").slice(2, 3).concat(r.split(",").slice(-2)))).toEqual([
      [card, "stripe", "refunded"],
      [bank, "bank_transfer", "paid back by bank transfer"],
      [cash, "cash", "paid back in cash"],
    ]);

    const pdf = await billing.get(`/console/customers/${customerId}/statement.pdf`);
    expect(pdf.status).toBe(200);
    // Each refund's words in its own row: its reference, words, amount and balance on one line (until
    // 2026-12-07 the column was too narrow for both, and the words wrapped under the reference). Until
    // 2026-12-07 the test only looked for the words anywhere in the text, so words put on another refund's
    // row passed.
    const text = await pdfText(pdf.body);
    const pdfRows = [
      [card, "$2.50", "$0.00", "(refunded)"],
      [bank, "$3.00", "-$4.00", "(paid back by bank transfer)"],
      [cash, "$4.00", "$0.00", "(paid back in cash)"],
    ] as const;
    for (const [reference, amount, balance, words] of pdfRows) {
      const row = pdfTableRow(text, reference);
      expect(row.line).toMatch(
        new RegExp(`Refund +${reference} ${escaped(words)} +${escaped(amount)} +${escaped(balance)}$`),
      );
      expect(row.wrapped).toBe("");
    }
  });

  it("say a card's refund the bank sent back failed", async () => {
    const { customerId, providerRefundId } = await pendingNoteRefund(
      file.world,
      "refund-ways-failed@example.com",
    );
    expect(
      (await file.world.deliver(file.world.fake.settleRefund(providerRefundId, "succeeded"))).status,
    ).toBe(200);
    expect((await file.world.deliver(file.world.fake.settleRefund(providerRefundId, "failed"))).status).toBe(
      200,
    );
    const statement = await file.world.server.api("GET", `/api/v1/customers/${customerId}/statement`);
    const refunds = (statement.body.data.entries as Entry[])
      .filter((e) => e.kind === "refund")
      .map((e) => [e.refund_method, e.amount]);
    expect(refunds).toEqual([
      ["stripe", 250],
      ["stripe", -250],
    ]);
    const csv = await billing.get(`/console/customers/${customerId}/statement.csv`);
    const words = csv.text
      .split("\r\n")
      .filter((r) => r.split(",")[1] === "refund")
      .map((r) => r.split(",").at(-1));
    expect(words).toEqual(["refunded", "refund failed"]);
  });
});
