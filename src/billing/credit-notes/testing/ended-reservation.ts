import { type Logger, pino } from "pino";
import { expect } from "vitest";
import { runnableKinds } from "../../../app/job-catalog.ts";
import { JobRunner } from "../../../jobs/job-runner.ts";
import type { StripeWorld } from "../../providers/testing/stripe-world.ts";

// The steps the tests of a card refund's reservation ended by a refund of another amount share, whether the
// reservation is a credit note's (card-refund-ended-by-another) or an API refund's (api-refund-ended-by-another):
// Stripe's answer lost, the hand-made refund's webhook that ends it, and the look-up that ending enqueues.

export const LOOK_UP = "refund.look_up_ended_reservation";

/**
 * Asks (`ask`) while Stripe makes refunds at once and their answers are lost (`made`), or while it answers 500
 * without making them; Stripe answers as before afterwards, whatever `ask` did.
 */
export async function withRefundAnswerLost<T>(
  world: StripeWorld,
  made: boolean,
  ask: () => Promise<T>,
): Promise<T> {
  world.fake.refundStatusOnCreate = "succeeded";
  if (made) world.fake.refundAnswersLost = true;
  else world.fake.refundsFailWith = 500;
  try {
    return await ask();
  } finally {
    world.fake.refundAnswersLost = false;
    world.fake.refundsFailWith = null;
    world.fake.refundStatusOnCreate = "pending";
  }
}

/** The refund Stripe holds for tokenbill's refund `refundId` (by its metadata), if it made one. */
export const stripeRefundOf = (world: StripeWorld, refundId: string) =>
  [...world.fake.refunds.values()].find((r) => r.metadata["tokenbill_refund_id"] === refundId);

/** A logger whose infos and warnings the test reads. */
export function recordingLogger(): { lines: { msg: string }[]; logger: Logger } {
  const lines: { msg: string }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { lines, logger };
}

/** The shared steps over a world opened in beforeAll (hence the getter). */
export function endedReservationSteps(world: () => StripeWorld) {
  const refundOf = (id: string) =>
    world()
      .db.selectFrom("refund")
      .select(["status", "provider_refund_id"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
  return {
    /** Stripe's webhook of a $2.00 refund made by hand in the Dashboard, naming the reservation: it ends it. */
    async handMadeRefundArrives(paymentIntent: string, refundId: string, id: string): Promise<void> {
      const made = world().fake.addRefund({
        id,
        amount: 200,
        payment_intent: paymentIntent,
        status: "succeeded",
        metadata: { tokenbill_refund_id: refundId },
      });
      const answer = await world().deliver(world().fake.event("refund.updated", made));
      expect([answer.status, answer.body.outcome]).toEqual([200, "processed"]);
      expect(await refundOf(refundId)).toEqual({ status: "failed", provider_refund_id: null });
    },

    /** Runs the look-ups that wait, as the runner would once they are due; `logger` records what they log. */
    async runLookUps(logger?: Logger): Promise<void> {
      await world()
        .db.updateTable("job")
        .set({ run_after: new Date() })
        .where("kind", "=", LOOK_UP)
        .where("status", "=", "pending")
        .execute();
      const ctx = { ...world().context(), ...(logger ? { logger } : {}) };
      await new JobRunner({
        db: world().db,
        logger: ctx.logger,
        handlers: { [LOOK_UP]: runnableKinds(ctx, "outbox")[LOOK_UP]! },
      }).drain();
    },

    lookUpJobOf: (refundId: string) =>
      world()
        .db.selectFrom("job")
        .select(["id", "status", "attempts", "run_after", "last_error"])
        .where("kind", "=", LOOK_UP)
        .where("slot", "=", `${LOOK_UP}:${refundId}`)
        .executeTakeFirstOrThrow(),

    /** The payment's refund rows, oldest first. */
    refundRowsOf: (paymentId: string) =>
      world()
        .db.selectFrom("refund")
        .select(["id", "amount", "status", "provider_refund_id", "names_refund_id"])
        .where("payment_id", "=", paymentId)
        .orderBy("created_at")
        .orderBy("id")
        .execute(),
  };
}
