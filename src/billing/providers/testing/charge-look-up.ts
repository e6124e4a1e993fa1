import type { Selectable } from "kysely";
import { expect } from "vitest";
import { runnableKinds } from "../../../app/job-catalog.ts";
import type { PaymentTable } from "../../../db/schema.ts";
import { JobRunner } from "../../../jobs/job-runner.ts";
import { recordingLogger } from "../../credit-notes/testing/ended-reservation.ts";
import { createCustomers } from "../../testing/billing-fixtures.ts";
import { CHARGE_LOOK_UP } from "../refund-beyond-payment.ts";
import type { StripeWorld } from "./stripe-world.ts";

// The steps the tests of a refund that does not fit even with every reservation of its payment ended share,
// whoever meets the refusal (a webhook, a request, a release, a job's look-up): a refund tokenbill holds
// succeeded whose failure it never heard, and the look-up of the charge's refunds the refusal queues.

/** The shared steps over a world opened in beforeAll (hence the getter). */
export function chargeLookUpSteps(world: () => StripeWorld) {
  /** A refund of `amount` of the card payment asked through the API, which Stripe made at once (succeeded). */
  async function refundedByCard(payment: Selectable<PaymentTable>, amount: number) {
    const path = `/api/v1/payments/${payment.id}/refunds`;
    world().fake.refundStatusOnCreate = "succeeded";
    const made = await world()
      .post(path, { amount })
      .finally(() => {
        world().fake.refundStatusOnCreate = "pending";
      });
    expect([made.status, made.body.data.status]).toEqual([201, "succeeded"]);
    return { path, made: made.body.data as { id: string; provider_refund_id: string } };
  }

  return {
    refundedByCard,

    /** A new customer's $10.00 invoice paid by card, and a refund of `amount` Stripe made at once (succeeded). */
    async paidAndRefunded(email: string, amount: number) {
      const [customerId] = (await createCustomers(world().handle, [{ email }])) as [bigint];
      const { payment } = await world().paidByCard({ customerId, total: 1000n });
      return { customerId, payment, ...(await refundedByCard(payment, amount)) };
    },

    /** The look-up jobs of the payment's charge, oldest first. */
    lookUpsOf: (paymentId: string) =>
      world()
        .db.selectFrom("job")
        .select(["id", "status", "attempts", "last_error", "payload"])
        .where("kind", "=", CHARGE_LOOK_UP)
        .where("ordering_key", "=", `payment:${paymentId}`)
        .orderBy("id")
        .execute(),

    /** Runs the look-ups of charges that wait, as the runner would; what they log goes to `lines`. */
    async runChargeLookUps() {
      const { logger, lines } = recordingLogger();
      const ctx = { ...world().context(), logger };
      await new JobRunner({
        db: world().db,
        logger,
        handlers: { [CHARGE_LOOK_UP]: runnableKinds(ctx, "outbox")[CHARGE_LOOK_UP]! },
      }).drain();
      return lines as { level: number; msg: string }[];
    },
  };
}
