import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkLedger } from "../payments/testing/ledger-invariants.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import type { FakeRefund } from "./testing/fake-stripe.ts";
import { type StripeWorld, startStripeWorld } from "./testing/stripe-world.ts";

// A refund's status is told by Stripe's answer to tokenbill's request and by its events, in any order: the
// answer may come after events newer than it, or be the only place a final status is told. Stripe's lifecycle
// (pending or requires_action, then succeeded, failed or canceled; a succeeded refund may still fail) only moves
// forward, so whatever the order the books end as the newest fact says. Until 2026-12-07 the answer's status
// was never recorded: a refund its webhook recorded pending stayed pending although the answer said succeeded.

let world: StripeWorld;
beforeAll(async () => {
  world = await startStripeWorld();
});
afterAll(async () => {
  await world?.close();
});

let customers = 0;

/** A new customer's $10.00 invoice paid by card. */
async function paidInvoice() {
  customers += 1;
  const [customerId] = (await createCustomers(world.handle, [
    { email: `status-order-${customers}@example.com` },
  ])) as [bigint];
  const { payment } = await world.paidByCard({ customerId, total: 1000n });
  return { customerId, payment, path: `/api/v1/payments/${payment.id}/refunds` };
}

/** What tells a refund's status: Stripe's answer to the request, or one of its events. */
type Fact = "answer" | "created" | "succeeded" | "failed";

/** The event a fact is, for the refund Stripe made: a copy, so the answer Stripe sends stays as it was made. */
function eventOf(fact: Exclude<Fact, "answer">, made: FakeRefund) {
  if (fact === "created") return world.fake.event("refund.created", { ...made, status: "pending" });
  if (fact === "succeeded") return world.fake.event("refund.updated", { ...made, status: "succeeded" });
  return world.fake.event("refund.failed", { ...made, status: "failed" });
}

async function delivered(event: unknown) {
  const answer = await world.deliver(event);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
}

/**
 * Asks for a $2.50 refund that Stripe answers with `answered`, and delivers its events in `order`: those before
 * "answer" while Stripe holds the answer back, the rest after it. Then every event again under new ids, last
 * first (Stripe re-sends). Returns the request's answer, the payment's refund rows and the customer's books.
 */
async function refundTold(order: readonly Fact[], answered: FakeRefund["status"]) {
  const { customerId, payment, path } = await paidInvoice();
  const at = order.indexOf("answer");
  const events = order.filter((f): f is Exclude<Fact, "answer"> => f !== "answer");
  let made: FakeRefund | undefined;
  world.fake.refundStatusOnCreate = answered;
  world.fake.beforeNextRefundAnswer = async (refund) => {
    made = { ...refund };
    for (const fact of order.slice(0, at)) if (fact !== "answer") await delivered(eventOf(fact, made));
  };
  let answer: Awaited<ReturnType<StripeWorld["post"]>>;
  try {
    answer = await world.post(path, { amount: 250 }, `status-order-${customers}`);
  } finally {
    world.fake.beforeNextRefundAnswer = null;
    world.fake.refundStatusOnCreate = "pending";
  }
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  if (!made) throw new Error("Stripe made no refund");
  for (const fact of order.slice(at + 1)) if (fact !== "answer") await delivered(eventOf(fact, made));
  for (const fact of [...events].reverse()) await delivered(eventOf(fact, made));
  const rows = await world.db
    .selectFrom("refund")
    .select(["id", "status", "provider_refund_id"])
    .where("payment_id", "=", payment.id)
    .execute();
  const books = await checkLedger(world.db, world.context(), customerId);
  return { answer: answer.body.data, rows, books, made };
}

/** Every order of `facts`. */
function ordersOf<T>(facts: readonly T[]): T[][] {
  if (facts.length <= 1) return [[...facts]];
  return facts.flatMap((fact, i) =>
    ordersOf([...facts.slice(0, i), ...facts.slice(i + 1)]).map((rest) => [fact, ...rest]),
  );
}

describe("a Stripe refund's status, told by the answer and by events in any order", () => {
  it("its webhook said pending, then the answer said succeeded: the refund is recorded succeeded", async () => {
    const { answer, rows, books, made } = await refundTold(["created", "answer"], "succeeded");
    expect(rows).toEqual([expect.objectContaining({ status: "succeeded", provider_refund_id: made.id })]);
    expect(answer).toMatchObject({ id: rows[0]!.id, status: "succeeded" });
    expect(books).toMatchObject({ dueTotal: 250n, credit: 0n });
  });

  it("the answer said succeeded before any event: the refund is recorded succeeded at once", async () => {
    const { answer, rows, books } = await refundTold(["answer"], "succeeded");
    expect(rows.map((r) => r.status)).toEqual(["succeeded"]);
    expect(answer.status).toBe("succeeded");
    expect(books).toMatchObject({ dueTotal: 250n, credit: 0n });
  });

  it("its webhook said succeeded, then an older answer said pending: the refund stays succeeded", async () => {
    const { answer, rows, books } = await refundTold(["succeeded", "answer"], "pending");
    expect(rows.map((r) => r.status)).toEqual(["succeeded"]);
    expect(answer.status).toBe("succeeded");
    expect(books).toMatchObject({ dueTotal: 250n, credit: 0n });
  });

  it("the answer said failed (a canceled refund is failed too): the reservation is failed and holds nothing", async () => {
    const { answer, rows, books } = await refundTold(["answer", "created"], "canceled");
    expect(rows.map((r) => r.status)).toEqual(["failed"]);
    expect(answer.status).toBe("failed");
    expect(books).toMatchObject({ dueTotal: 0n, credit: 0n });
  });

  it("the answer said succeeded, then its older pending event came: the refund stays succeeded", async () => {
    const { rows, books } = await refundTold(["answer", "created"], "succeeded");
    expect(rows.map((r) => r.status)).toEqual(["succeeded"]);
    expect(books).toMatchObject({ dueTotal: 250n, credit: 0n });
  });

  it.each(ordersOf<Fact>(["created", "succeeded", "failed", "answer"]))(
    "pending, succeeded and failed by events, succeeded by the answer, in the order %s, %s, %s, %s: failed, the money the customer's again",
    async (...order) => {
      const { rows, books } = await refundTold(order, "succeeded");
      expect(rows.map((r) => r.status)).toEqual(["failed"]);
      // Whether the refund was posted and reversed or never posted, the invoice is paid again and no credit is
      // left over: the card got nothing back.
      expect(books).toMatchObject({ dueTotal: 0n, credit: 0n });
    },
  );
});
