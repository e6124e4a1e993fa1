import { describe, expect, it } from "vitest";
import {
  endedReservationSteps,
  recordingLogger,
  withRefundAnswerLost,
} from "../credit-notes/testing/ended-reservation.ts";
import { checkLedger } from "../payments/testing/ledger-invariants.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";

// Stripe never refunds more than a charge, but tokenbill's reservations are only what it asked: a refund whose
// call Stripe answered 500 without making it stays reserved (pending, holding its amount) until released. Staff
// who then refund the card in Stripe's Dashboard (the whole payment, say) make a refund that does not fit
// beside that reservation. Until 2026-12-07 its webhook was refused ("at most … left to refund") on every
// delivery, for Stripe's three days of retries: money that went back to the card stayed out of the books.

const serverLog = recordingLogger();
const file = stripeWorldPerFile({ logger: serverLog.logger });

const { runLookUps, lookUpJobOf, refundRowsOf } = endedReservationSteps(() => file.world);

const eventRow = (eventId: string) =>
  file.world.db
    .selectFrom("provider_event")
    .select(["processed_at", "error"])
    .where("event_id", "=", eventId)
    .executeTakeFirstOrThrow();

/** What the server logged at error level that names `word`. */
const errorsNaming = (word: string) =>
  (serverLog.lines as { level?: number; msg: string }[])
    .filter((l) => l.level === 50 && l.msg.includes(word))
    .map((l) => l.msg);

describe("a refund Stripe made that does not fit beside tokenbill's reservations", () => {
  it("is recorded: the reservation standing in its way ends, and a look-up checks Stripe for its refund", async () => {
    const [customerId] = (await createCustomers(file.world.handle, [{ email: "beyond-1@example.com" }])) as [
      bigint,
    ];
    const { payment } = await file.world.paidByCard({ customerId, total: 1000n });
    const path = `/api/v1/payments/${payment.id}/refunds`;
    const asked = await withRefundAnswerLost(file.world, false, () =>
      file.world.post(path, { amount: 250 }, "beyond-1"),
    );
    expect([asked.status, asked.body.data.status]).toEqual([202, "pending"]);
    const reservationId = asked.body.data.id as string;

    // Stripe made nothing for it; staff refund the whole payment in the Dashboard.
    const byHand = file.world.fake.addRefund({
      id: "re_beyond_by_hand_1",
      amount: 1000,
      payment_intent: payment.reference,
      status: "succeeded",
    });
    const event = file.world.fake.event("refund.created", byHand);
    const first = await file.world.deliver(event);
    expect(await eventRow(event.id)).toMatchObject({ processed_at: expect.any(Date), error: null });
    expect([first.status, first.body.outcome]).toEqual([200, "processed"]);
    expect(
      (await refundRowsOf(payment.id)).map((r) => [r.id, r.amount, r.status, r.provider_refund_id]),
    ).toEqual([
      [reservationId, 250n, "failed", null],
      [expect.any(String), 1000n, "succeeded", "re_beyond_by_hand_1"],
    ]);
    // The whole payment went back to the card: the invoice owes all of it again, and no credit is left.
    expect(await checkLedger(file.world.db, file.world.context(), customerId)).toMatchObject({
      credit: 0n,
      dueTotal: 1000n,
    });
    // Said at error level, naming the payment, the refund and the reservation ended for it.
    expect(errorsNaming(payment.id)).toEqual([
      expect.stringContaining(
        `cannot have made them all beside it, so reservation ${reservationId} (250) ends`,
      ),
    ]);
    // Delivered again, it records nothing twice.
    const again = await file.world.deliver(event);
    expect([again.status, again.body.outcome]).toEqual([200, "duplicate"]);

    // The ending is checked with Stripe, as a refund of another amount naming the reservation ends it: Stripe
    // has no refund for it, so nothing more is recorded, and the client's key is answered with it, failed.
    await runLookUps();
    expect(await lookUpJobOf(reservationId)).toMatchObject({ status: "done", attempts: 1 });
    expect(await refundRowsOf(payment.id)).toHaveLength(2);
    const repeat = await file.world.post(path, { amount: 250 }, "beyond-1");
    expect([repeat.status, repeat.body.data?.id, repeat.body.data?.status]).toEqual([
      201,
      reservationId,
      "failed",
    ]);
  });
});

describe("which reservations end for it", () => {
  it("only the fewest that make room, oldest first: a later one stays pending", async () => {
    const [customerId] = (await createCustomers(file.world.handle, [{ email: "beyond-2@example.com" }])) as [
      bigint,
    ];
    const { payment } = await file.world.paidByCard({ customerId, total: 1000n });
    const path = `/api/v1/payments/${payment.id}/refunds`;
    const older = await withRefundAnswerLost(file.world, false, () => file.world.post(path, { amount: 250 }));
    const newer = await withRefundAnswerLost(file.world, false, () => file.world.post(path, { amount: 300 }));
    expect([older.status, newer.status]).toEqual([202, 202]);

    // 450 is left beside both; a refund of 600 needs 150 more, which the older reservation makes room for.
    const byHand = file.world.fake.addRefund({
      id: "re_beyond_by_hand_2",
      amount: 600,
      payment_intent: payment.reference,
      status: "succeeded",
    });
    const answer = await file.world.deliver(file.world.fake.event("refund.created", byHand));
    expect([answer.status, answer.body.outcome]).toEqual([200, "processed"]);
    expect((await refundRowsOf(payment.id)).map((r) => [r.id, r.amount, r.status])).toEqual([
      [older.body.data.id, 250n, "failed"],
      [newer.body.data.id, 300n, "pending"],
      [expect.any(String), 600n, "succeeded"],
    ]);
    expect(await lookUpJobOf(older.body.data.id)).toMatchObject({ status: "pending" });
    expect(await checkLedger(file.world.db, file.world.context(), customerId)).toMatchObject({
      dueTotal: 600n,
    });
  });
});

describe("a refund tokenbill's own succeeded refunds leave no room for", () => {
  it("is refused saying why on every delivery, and recorded once the failure tokenbill missed arrives", async () => {
    const [customerId] = (await createCustomers(file.world.handle, [{ email: "beyond-3@example.com" }])) as [
      bigint,
    ];
    const { payment } = await file.world.paidByCard({ customerId, total: 1000n });
    file.world.fake.refundStatusOnCreate = "succeeded";
    const made = await file.world
      .post(`/api/v1/payments/${payment.id}/refunds`, { amount: 600 })
      .finally(() => {
        file.world.fake.refundStatusOnCreate = "pending";
      });
    expect([made.status, made.body.data.status]).toEqual([201, "succeeded"]);
    // The bank returns it; its refund.failed is not delivered yet. Stripe may refund the whole charge again.
    const failed = file.world.fake.settleRefund(made.body.data.provider_refund_id, "failed");
    const byHand = file.world.fake.addRefund({
      id: "re_beyond_by_hand_3",
      amount: 1000,
      payment_intent: payment.reference,
      status: "succeeded",
    });
    const event = file.world.fake.event("refund.created", byHand);
    for (const _ of [1, 2]) {
      const refused = await file.world.deliver(event);
      expect(refused.status).toBe(500);
    }
    // No ledger can take back 1600 of a payment of 1000: not recorded, and the stored error says why.
    expect((await eventRow(event.id)).error).toContain(
      `Stripe has refund re_beyond_by_hand_3 of 1000 (minor units of USD) of payment ${payment.id}, but tokenbill's refunds of it that Stripe made or may make leave 400 of it: not recorded`,
    );
    expect(await refundRowsOf(payment.id)).toHaveLength(1);

    const late = await file.world.deliver(failed);
    expect([late.status, late.body.outcome]).toEqual([200, "processed"]);
    const retried = await file.world.deliver(event);
    expect([retried.status, retried.body.outcome]).toEqual([200, "processed"]);
    expect((await refundRowsOf(payment.id)).map((r) => [r.amount, r.status])).toEqual([
      [600n, "failed"],
      [1000n, "succeeded"],
    ]);
    expect(await checkLedger(file.world.db, file.world.context(), customerId)).toMatchObject({
      credit: 0n,
      dueTotal: 1000n,
    });
  });
});

describe("a request's refund Stripe made after its reservation ended", () => {
  it("is recorded and answered though a reservation made since left no room for it", async () => {
    const [customerId] = (await createCustomers(file.world.handle, [{ email: "beyond-4@example.com" }])) as [
      bigint,
    ];
    const { payment } = await file.world.paidByCard({ customerId, total: 1000n });
    const path = `/api/v1/payments/${payment.id}/refunds`;
    let laterId = "";
    // Stripe makes the 600 asked; before its answer comes, a refund of 100 made by hand naming the reservation
    // ends it, and staff reserve 400 more, whose call Stripe answers 500 without making it.
    file.world.fake.beforeNextRefundAnswer = async (made) => {
      const other = file.world.fake.addRefund({
        id: "re_beyond_by_hand_4",
        amount: 100,
        payment_intent: payment.reference,
        status: "succeeded",
        metadata: { tokenbill_refund_id: made.metadata["tokenbill_refund_id"]! },
      });
      const ended = await file.world.deliver(file.world.fake.event("refund.updated", other));
      expect(ended.status).toBe(200);
      const later = await withRefundAnswerLost(file.world, false, () =>
        file.world.post(path, { amount: 400 }),
      );
      expect(later.status).toBe(202);
      laterId = later.body.data.id;
    };
    file.world.fake.refundStatusOnCreate = "succeeded";
    const asked = await file.world.post(path, { amount: 600 }).finally(() => {
      file.world.fake.refundStatusOnCreate = "pending";
    });
    expect([asked.status, asked.body.data?.amount, asked.body.data?.status]).toEqual([201, 600, "succeeded"]);
    const rows = await refundRowsOf(payment.id);
    expect(rows.map((r) => [r.amount, r.status])).toEqual([
      [600n, "failed"],
      [100n, "succeeded"],
      [400n, "failed"],
      [600n, "succeeded"],
    ]);
    expect(rows[2]!.id).toBe(laterId);
    expect(await checkLedger(file.world.db, file.world.context(), customerId)).toMatchObject({
      dueTotal: 700n,
    });
  });
});
