import { type Kysely, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { invoiceAmountsDue } from "../../billing/ledger/ledger.ts";
import { customerCreditHeld } from "../../billing/payments/spendable-credit.ts";
import { cardMoneyPerFile } from "../../billing/payments/testing/card-money-per-file.ts";
import { reopenedBy } from "../../billing/payments/testing/card-money.ts";
import { issueInvoices } from "../../billing/payments/testing/invoice-fixtures.ts";
import { up } from "./049-money-before-2026-12-07.ts";

// A card refund of a payment asked before migration 047 and still pending held no credit (047's default 0), so
// the credit it was to take back paid the next invoice and the refund reopened it. 049 gives such a refund the
// hold it would be given if asked now. The state before 049 is built with today's verbs, then the refund's hold
// is set back to 0, as every row was after 047.

const file = cardMoneyPerFile();
const migrate = () => up(file.handle.db as unknown as Kysely<unknown>);

/** The refund as it looked after 047 ran: holding nothing. */
const asBefore047 = (refundId: string) =>
  sql`UPDATE refund SET credit_held = 0 WHERE id = ${refundId}`.execute(file.handle.db);

const heldBy = async (refundId: string) =>
  (
    await file.handle.db
      .selectFrom("refund")
      .select("credit_held")
      .where("id", "=", refundId)
      .executeTakeFirstOrThrow()
  ).credit_held;

const due = async (invoiceId: string) =>
  (await invoiceAmountsDue(file.handle.db, [invoiceId])).get(invoiceId) ?? 0n;

describe("migration 049: a card refund of a payment pending since before 047", () => {
  it("holds the payment's credit it is to take back; an invoice finalized meanwhile stays open, and Stripe's success reopens nothing", async () => {
    const customer = await file.newCustomer("backfill-1@example.com");
    const p = await file.card.pay({ customer_id: customer }, "pi_backfill_1", 3n); // nothing open: credit 3
    const r = await file.card.refund(p, 2n);
    await asBefore047(r.id);
    expect(await customerCreditHeld(file.handle.db, customer, "USD")).toMatchObject({
      held: 0n,
      spendable: 3n,
    });

    await migrate();
    expect(await heldBy(r.id)).toBe(2n);
    expect(await customerCreditHeld(file.handle.db, customer, "USD")).toEqual({
      credit: 3n,
      held: 2n,
      spendable: 1n,
    });
    await migrate(); // again: nothing more
    expect(await heldBy(r.id)).toBe(2n);

    const [a] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 5n }])) as [string];
    expect(await due(a)).toBe(4n); // the 1 nothing holds paid it, the held 2 did not

    expect(await file.card.says(r.stripeId, "succeeded")).toBe("processed");
    expect(await reopenedBy(file.handle.db, r.id)).toEqual({});
    expect(await due(a)).toBe(4n);
    expect(await customerCreditHeld(file.handle.db, customer, "USD")).toEqual({
      credit: 0n,
      held: 0n,
      spendable: 0n,
    });
  });

  it("frees what it holds when Stripe fails the refund: it pays the invoice finalized meanwhile", async () => {
    const customer = await file.newCustomer("backfill-2@example.com");
    const p = await file.card.pay({ customer_id: customer }, "pi_backfill_2", 2n);
    const r = await file.card.refund(p, 2n);
    await asBefore047(r.id);
    await migrate();
    const [a] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 2n }])) as [string];
    expect(await due(a)).toBe(2n);

    expect(await file.card.says(r.stripeId, "failed")).toBe("processed");
    expect(await due(a)).toBe(0n);
    expect(await customerCreditHeld(file.handle.db, customer, "USD")).toEqual({
      credit: 0n,
      held: 0n,
      spendable: 0n,
    });
  });

  it("gives a payment's refunds its credit part oldest first, as when they were asked, and holds no credit another payment left", async () => {
    const customer = await file.newCustomer("backfill-3@example.com");
    const [x] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 2n }])) as [string];
    const p = await file.card.pay({ invoice_id: x }, "pi_backfill_3", 3n); // pays X's 2, credit part 1
    const first = await file.card.refund(p, 2n);
    const second = await file.card.refund(p, 1n);
    const asked = [await heldBy(first.id), await heldBy(second.id)];
    expect(asked).toEqual([1n, 0n]);
    await file.card.pay({ customer_id: customer }, "pi_backfill_3b", 5n); // another payment's credit: 5
    await asBefore047(first.id);
    await asBefore047(second.id);

    await migrate();
    expect([await heldBy(first.id), await heldBy(second.id)]).toEqual(asked);
    expect(await customerCreditHeld(file.handle.db, customer, "USD")).toMatchObject({ credit: 6n, held: 1n });
  });

  it("holds as much for a reservation Stripe's refund is not linked to yet", async () => {
    const customer = await file.newCustomer("backfill-6@example.com");
    const p = await file.card.pay({ customer_id: customer }, "pi_backfill_6", 4n);
    const r = await file.card.refund(p, 3n);
    await asBefore047(r.id);
    // As refundThroughProvider leaves it when the process stops between its reservation and Stripe's answer.
    await sql`UPDATE refund SET provider_refund_id = NULL WHERE id = ${r.id}`.execute(file.handle.db);

    await migrate();
    expect(await heldBy(r.id)).toBe(3n);
  });

  it("holds no credit spent before the upgrade: that invoice reopens when the refund succeeds, as before 047", async () => {
    const customer = await file.newCustomer("backfill-4@example.com");
    const p = await file.card.pay({ customer_id: customer }, "pi_backfill_4", 1n);
    const r = await file.card.refund(p, 1n);
    await asBefore047(r.id);
    const [a] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 1n }])) as [string];
    expect(await due(a)).toBe(0n); // paid by the credit the refund held nothing of

    await migrate();
    expect(await heldBy(r.id)).toBe(0n);
    expect(await file.card.says(r.stripeId, "succeeded")).toBe("processed");
    expect(await reopenedBy(file.handle.db, r.id)).toEqual({ [a]: 1n });
  });

  // Why 049's "asked before 047" filter needs no fix forward (read 2026-12-07; the migration's SQL stays as
  // shipped). It compares two instants from application clocks: refund.created_at is the asking instance's
  // ctx.now() (refund-payment.ts; credit notes' refunds are left out by credit_note_id), and 047's
  // kysely_migration.timestamp is the migrating process's new Date().toISOString(), an instant in UTC ('Z'), so
  // neither the database's clock nor any TimeZone setting takes part. Only skew between two machines' clocks can
  // put a refund on the wrong side, and either side is safe:
  // - Counted as before 047 though asked after it (the asking clock behind): 049 gives it creditToHold's bound,
  //   what its success would take from credit now, so it holds no credit the refund will not take back (and
  //   only one holding nothing is touched). Only a database that ran 047 before 049 existed, a build of the
  //   same day, could have such a refund at all: 047 to 049 in one upgrade run in one transaction, and 047's
  //   ALTER TABLE refund locks the table until it commits, so no refund row is written in between.
  // - Counted as after 047 though asked before it (the asking clock ahead, by more than the refund's age at the
  //   upgrade): it keeps holding nothing, as every refund did before 047, as does one asked by an old instance in
  //   the up to 30 s before it notices the upgrade (SCHEMA_CHECK_MS), written after 049 ran. Its credit may pay an invoice
  //   before Stripe answers, which its success then reopens (docs/payments.md, "Credit"): no row is wrong, the
  //   ledger balances, and no other filter tells such a refund from one asked since with nothing to hold.
  it("leaves a refund asked after 047 ran: its hold, none included, was given when it was asked", async () => {
    const customer = await file.newCustomer("backfill-5@example.com");
    const p = await file.card.pay({ customer_id: customer }, "pi_backfill_5", 1n);
    const r = await file.card.refund(p, 1n);
    await asBefore047(r.id);
    await sql`UPDATE refund SET created_at = (SELECT timestamp::timestamptz FROM kysely_migration
      WHERE name = '047-refund-credit-held') + interval '1 second' WHERE id = ${r.id}`.execute(
      file.handle.db,
    );

    await migrate();
    expect(await heldBy(r.id)).toBe(0n);
  });
});
