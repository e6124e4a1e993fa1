import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invoiceAmountDue } from "../../billing/ledger/ledger.ts";
import { recordRefundIn, refundedSoFar } from "../../billing/payments/refund-payment.ts";
import { type StripeWorld, startStripeWorld } from "../../billing/providers/testing/stripe-world.ts";
import { createCustomers } from "../../billing/testing/billing-fixtures.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { createStaffPerRole, PageClient, textOf } from "./pricing-test-client.ts";

// The console's release of a card refund's reservation whose call to Stripe never ran
// (docs/payments-stripe.md): offered beside the payment on the customer's and the invoice's pages, a
// confirmation first, the release verb with the session's staff user, and the outcome as the page's notice.

let world: StripeWorld;
let customer: bigint;
let owner: PageClient;
let billing: PageClient;
let support: PageClient;

beforeAll(async () => {
  world = await startStripeWorld();
  [customer] = (await createCustomers(world.handle, [{ email: "card@example.com" }])) as [bigint];
  await createStaffPerRole(world.handle);
  owner = await new PageClient(world.server.url).logIn("owner@example.com");
  billing = await new PageClient(world.server.url).logIn("billing@example.com");
  support = await new PageClient(world.server.url).logIn("support@example.com");
});
afterAll(() => world?.close());

const HOUR = 3_600_000;
/** The context of a process that reserved a refund and died before asking Stripe, `ago` ms back. */
const contextAgo = (ago: number): ServiceContext =>
  world.context({ actor: actors.envKey(), now: () => new Date(Date.now() - ago) });

/** An invoice paid by card, of `period` when a page is to show it (fixture periods start in 1900). */
const paidByCard = (total: bigint, period?: string) =>
  world.paidByCard({ customerId: customer, total, period });

const strandedReservation = (paymentId: string, amount: bigint, ago = HOUR) =>
  withTransaction(contextAgo(ago), (tx) =>
    recordRefundIn(tx.db, tx, { payment_id: paymentId, amount, status: "pending" }),
  );

const refundStatus = async (id: string) =>
  (await world.db.selectFrom("refund").select("status").where("id", "=", id).executeTakeFirstOrThrow())
    .status;

describe("releasing a refund reservation from the console", () => {
  it("offers the release on the customer's page, confirms, refuses support, and says it was released", async () => {
    const { payment } = await paidByCard(500n);
    const reserved = await strandedReservation(payment.id, 200n);
    const page = `/console/customers/${customer}`;
    const confirmAt = `${page}/refund-release?payment=${payment.id}&refund=${reserved.id}`;
    const listed = await owner.get(page);
    expect(textOf(listed.text)).toContain(`Release pending refund $2.00 of payment ${payment.reference}`);
    expect(listed.text).toContain(`href="${confirmAt.replace("&", "&amp;")}"`);

    const confirm = await owner.get(confirmAt);
    expect(confirm.status).toBe(200);
    const asked = textOf(confirm.text);
    expect(asked).toContain(`Release refund ${reserved.id}?`);
    expect(asked).toContain(`The refund of $2.00 of payment ${payment.reference} (stripe) was reserved`);
    expect(asked).toContain("stripe is asked first");

    const form = { payment_id: payment.id, refund_id: reserved.id };
    // Support reads money but does not move it; a form without the page's CSRF token is refused too.
    expect((await support.submit(confirmAt, `${page}/refund-release`, form)).status).toBe(403);
    const forged = await owner.request("POST", `${page}/refund-release`, { ...form, _csrf: "forged" });
    expect(forged.status).toBe(403);
    expect(await refundStatus(reserved.id)).toBe("pending");

    const done = await billing.submit(confirmAt, `${page}/refund-release`, form);
    expect(done).toMatchObject({ status: 303, location: `${page}?notice=refund_released` });
    expect(await refundStatus(reserved.id)).toBe("failed");
    expect(await refundedSoFar(world.db, payment.id)).toBe(0n);
    const after = textOf((await owner.get(done.location!)).text);
    expect(after).toContain(
      "The payment provider had no refund for this reservation: it is released, and its amount can be refunded again.",
    );
    expect(after).not.toContain("Release pending refund");

    // Released once: the same form again is refused above its button, nothing changed.
    const again = await owner.submit(confirmAt, `${page}/refund-release`, form);
    expect(again.status).toBe(409);
    expect(textOf(again.text)).toContain(`refund ${reserved.id} is failed; only a pending reservation`);
  });

  it("says so when Stripe did not answer a refund from the console, which then stays pending", async () => {
    const { payment } = await paidByCard(500n);
    const page = `/console/customers/${customer}`;
    world.fake.refundAnswersLost = true;
    let done: Awaited<ReturnType<typeof billing.submit>>;
    try {
      done = await billing.submit(`${page}/refund?payment=${payment.id}`, `${page}/refunds`, {
        payment_id: payment.id,
        amount: "3.00",
        reason: "lost answer",
      });
    } finally {
      world.fake.refundAnswersLost = false;
    }
    expect(done).toMatchObject({ status: 303, location: `${page}?notice=refund_unconfirmed` });
    expect(textOf((await owner.get(done.location!)).text)).toContain(
      "The payment provider did not say whether it made the refund. It stays pending and holds its amount",
    );
    expect(await refundedSoFar(world.db, payment.id)).toBe(300n);
  });

  it("settles from the invoice's page a refund Stripe had made, reopening what it paid", async () => {
    const { invoice, payment } = await paidByCard(400n, "2026-10");
    const reserved = await strandedReservation(payment.id, 150n);
    world.fake.addRefund({
      id: "re_console_1",
      amount: 150,
      payment_intent: payment.reference,
      status: "succeeded",
      metadata: { tokenbill_payment_id: payment.id, tokenbill_refund_id: reserved.id },
      created: Math.floor(Date.now() / 1000) - 3600,
    });
    const page = `/console/invoices/${invoice}`;
    const confirmAt = `${page}/refund-release?payment=${payment.id}&refund=${reserved.id}`;
    expect(textOf((await owner.get(page)).text)).toContain("Release pending refund $1.50");
    const done = await owner.submit(confirmAt, `${page}/refund-release`, {
      payment_id: payment.id,
      refund_id: reserved.id,
    });
    expect(done).toMatchObject({ status: 303, location: `${page}?notice=refund_settled` });
    expect(await refundStatus(reserved.id)).toBe("succeeded");
    expect(await invoiceAmountDue(world.db, invoice)).toBe(150n);
    expect(textOf((await owner.get(done.location!)).text)).toContain(
      "The payment provider had made this refund: it is recorded as the provider's webhook would record it.",
    );
  });

  it("refuses a reservation too young to release, and a refund of another page's payment", async () => {
    const { payment } = await paidByCard(300n);
    const young = await strandedReservation(payment.id, 100n, 60_000);
    const page = `/console/customers/${customer}`;
    const confirmAt = `${page}/refund-release?payment=${payment.id}&refund=${young.id}`;
    const refused = await owner.submit(confirmAt, `${page}/refund-release`, {
      payment_id: payment.id,
      refund_id: young.id,
    });
    expect(refused.status).toBe(409);
    expect(textOf(refused.text)).toMatch(
      new RegExp(`refund ${young.id} was reserved 1 minutes ago; only one older than 15 minutes is released`),
    );
    expect(await refundStatus(young.id)).toBe("pending");

    const [elsewhere] = (await createCustomers(world.handle, [{ email: "other@example.com" }])) as [bigint];
    const foreign = await owner.get(
      `/console/customers/${elsewhere}/refund-release?payment=${payment.id}&refund=${young.id}`,
    );
    expect(foreign.status).toBe(404);
    const unknown = await owner.get(`${page}/refund-release?payment=${payment.id}&refund=ref_0123456789ab`);
    expect(unknown.status).toBe(404);
  });

  // Until 2026-12-05 the 400 page said "refund_id: must not contain control characters", naming a field of a
  // form that shows only a button.
  it("answers a confirmation whose hidden ids arrived damaged with a page that names no field", async () => {
    const { payment } = await paidByCard(200n);
    const reserved = await strandedReservation(payment.id, 100n);
    const page = `/console/customers/${customer}`;
    const confirmAt = `${page}/refund-release?payment=${payment.id}&refund=${reserved.id}`;
    const damaged = await owner.submit(confirmAt, `${page}/refund-release`, {
      payment_id: payment.id,
      refund_id: `${reserved.id}\u001b`,
    });
    expect(damaged.status).toBe(400);
    const text = textOf(damaged.text);
    expect(text).toContain(
      "The form arrived damaged: a part of it that is not shown held a control character",
    );
    expect(text).toContain("Nothing was done; go back, reload the page and send it again.");
    expect(text).not.toMatch(/refund_id/);
    expect(await refundStatus(reserved.id)).toBe("pending");
  });
});
