import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkLedger } from "../payments/testing/ledger-invariants.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import type { FakeRefund } from "./testing/fake-stripe.ts";
import { type StripeWorld, startStripeWorld } from "./testing/stripe-world.ts";

// Stripe's answer to an API refund may reach tokenbill after Stripe's events about it: the refund's own
// webhook, which links the reservation first, or a refund of another amount naming the reservation, which
// ends it first. Until 2026-12-07 the request then logged "made a refund for a reservation ended meanwhile"
// of a reservation its own webhook had linked, and answered the client's key with the ended reservation,
// failed, although the refund it asked for was made.

const lines: { level: number; msg: string }[] = [];
let world: StripeWorld;
beforeAll(async () => {
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  world = await startStripeWorld({ logger });
});
afterAll(async () => {
  await world?.close();
});

const WARN = 40;
const endedMeanwhile = () => lines.filter((l) => l.level >= WARN && l.msg.includes("ended meanwhile"));

/** A new customer's $10.00 invoice paid by card. */
async function paidInvoice(email: string) {
  const [customerId] = (await createCustomers(world.handle, [{ email }])) as [bigint];
  const { payment } = await world.paidByCard({ customerId, total: 1000n });
  return { customerId, payment, path: `/api/v1/payments/${payment.id}/refunds` };
}

/** Asks for a $2.50 refund under `key`, `meanwhile` running once Stripe made it and before it answers. */
async function refundWithEventsFirst(
  path: string,
  key: string,
  meanwhile: (made: FakeRefund) => Promise<void>,
) {
  world.fake.refundStatusOnCreate = "succeeded";
  world.fake.beforeNextRefundAnswer = meanwhile;
  try {
    return await world.post(path, { amount: 250 }, key);
  } finally {
    world.fake.beforeNextRefundAnswer = null;
    world.fake.refundStatusOnCreate = "pending";
  }
}

const refundRowsOf = (paymentId: string) =>
  world.db
    .selectFrom("refund")
    .select(["id", "amount", "status", "provider_refund_id", "names_refund_id"])
    .where("payment_id", "=", paymentId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();

async function delivered(event: unknown) {
  const answer = await world.deliver(event);
  expect(answer.status).toBe(200);
  return answer.body.outcome as string;
}

describe("Stripe's answer to an API refund after its events", () => {
  it("the refund's own webhook linked the reservation first: answered 201 linked, with no warning", async () => {
    const { payment, path } = await paidInvoice("answer-after-own@example.com");
    lines.length = 0;
    let reservation = "";
    const first = await refundWithEventsFirst(path, "after-own-1", async (made) => {
      reservation = made.metadata["tokenbill_refund_id"]!;
      expect(await delivered(world.fake.event("refund.created", made))).toBe("processed");
    });
    expect(first.status).toBe(201);
    expect(first.body.data).toMatchObject({ id: reservation, status: "succeeded", amount: 250 });
    expect(first.body.data.provider_refund_id).toMatch(/^re_/);
    expect(endedMeanwhile()).toEqual([]);
    expect(lines.map((l) => l.msg)).toContainEqual(
      expect.stringContaining("which linked the reservation first"),
    );
    expect(await refundRowsOf(payment.id)).toHaveLength(1);

    const calls = world.refundCalls();
    const again = await world.post(path, { amount: 250 }, "after-own-1");
    expect([again.status, again.replayed, again.body.data.id]).toEqual([201, "true", reservation]);
    expect(world.refundCalls()).toBe(calls);
  });

  it("a refund of another amount ended the reservation first: the refund made is recorded and is the key's answer", async () => {
    const { customerId, payment, path } = await paidInvoice("answer-after-ended@example.com");
    lines.length = 0;
    let reservation = "";
    const first = await refundWithEventsFirst(path, "after-ended-1", async (made) => {
      reservation = made.metadata["tokenbill_refund_id"]!;
      const byHand = world.fake.addRefund({
        id: "re_ended_first_by_hand",
        amount: 200,
        payment_intent: payment.reference,
        status: "succeeded",
        metadata: { tokenbill_refund_id: reservation },
      });
      expect(await delivered(world.fake.event("refund.updated", byHand))).toBe("processed");
    });
    const own = [...world.fake.refunds.values()].find(
      (r) => r.metadata["tokenbill_refund_id"] === reservation && r.amount === 250,
    )!;
    // Never "failed" for money that moved: the answer is the refund the card got, as recorded.
    expect(first.status).toBe(201);
    expect(first.body.data).toMatchObject({ status: "succeeded", amount: 250, provider_refund_id: own.id });
    const rows = await refundRowsOf(payment.id);
    expect(rows).toEqual([
      expect.objectContaining({ id: reservation, status: "failed", provider_refund_id: null }),
      expect.objectContaining({ amount: 200n, provider_refund_id: "re_ended_first_by_hand" }),
      expect.objectContaining({
        amount: 250n,
        status: "succeeded",
        provider_refund_id: own.id,
        names_refund_id: reservation,
      }),
    ]);
    expect(first.body.data.id).toBe(rows[2]!.id);
    expect(endedMeanwhile().map((l) => l.msg)).toEqual([
      expect.stringContaining(`recorded as refund ${rows[2]!.id} of the payment`),
    ]);
    expect(await checkLedger(world.db, world.context(), customerId)).toMatchObject({ dueTotal: 450n });

    const calls = world.refundCalls();
    const again = await world.post(path, { amount: 250 }, "after-ended-1");
    expect([again.status, again.replayed, again.body.data.id]).toEqual([201, "true", rows[2]!.id]);
    expect(world.refundCalls()).toBe(calls);
    // The own refund's webhook, after, records nothing twice.
    await delivered(world.fake.event("refund.updated", own));
    expect(await refundRowsOf(payment.id)).toHaveLength(3);
    expect(await checkLedger(world.db, world.context(), customerId)).toMatchObject({ dueTotal: 450n });
  });

  it("the own refund's webhook came after the ending and before the answer: the key answers with its row", async () => {
    const { customerId, payment, path } = await paidInvoice("answer-after-both@example.com");
    let reservation = "";
    let ownId = "";
    const first = await refundWithEventsFirst(path, "after-both-1", async (made) => {
      reservation = made.metadata["tokenbill_refund_id"]!;
      ownId = made.id;
      const byHand = world.fake.addRefund({
        id: "re_ended_both_by_hand",
        amount: 200,
        payment_intent: payment.reference,
        status: "succeeded",
        metadata: { tokenbill_refund_id: reservation },
      });
      await delivered(world.fake.event("refund.updated", byHand));
      await delivered(world.fake.event("refund.updated", made));
    });
    const rows = await refundRowsOf(payment.id);
    expect(rows.map((r) => [r.amount, r.status, r.provider_refund_id])).toEqual([
      [250n, "failed", null],
      [200n, "succeeded", "re_ended_both_by_hand"],
      [250n, "succeeded", ownId],
    ]);
    expect([first.status, first.body.data.id, first.body.data.status]).toEqual([
      201,
      rows[2]!.id,
      "succeeded",
    ]);
    expect(await checkLedger(world.db, world.context(), customerId)).toMatchObject({ dueTotal: 450n });
  });
});
