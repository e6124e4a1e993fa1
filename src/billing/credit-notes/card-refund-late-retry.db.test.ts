import { afterEach, describe, expect, it } from "vitest";
import { testClock } from "../../../test/helpers/test-clock.ts";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import {
  askRefundNote,
  cardPaidBesideOpenInvoice,
  cardRefundReads,
  refundIdOfNote,
  runNoteRefundJobs,
} from "./testing/pending-note-refund.ts";

// A credit note's card refund that Stripe made although its answer was lost, whose webhook never came, and
// whose job then failed (Stripe unreachable for all its attempts). Staff retry the job two days later, when
// Stripe no longer keeps the idempotency key (24 hours): asked again under it, Stripe would make a second
// refund. The job looks in Stripe first and records the refund it finds.

const DAY = 24 * 3_600_000;
const ATTEMPTS = 12; // the kind's maxAttempts (src/app/job-catalog.ts)

const clock = testClock();
const file = stripeWorldPerFile({ now: clock.now });
afterEach(() => {
  clock.release();
  file.world.fake.refundAnswersLost = false;
  file.world.fake.allRequestsFailWith = null;
});

const { dueOf, statement, refundOf, jobOf } = cardRefundReads(() => file.world);

const stripeRefundsOf = (paymentIntent: string) =>
  [...file.world.fake.refunds.values()].filter((r) => r.payment_intent === paymentIntent);

describe("a staff retry of a credit note's card refund after Stripe forgot its idempotency key", () => {
  it("records the refund Stripe made under the lost answer instead of making a second one", async () => {
    const { customerId, invoice, payment, open } = await cardPaidBesideOpenInvoice(
      file.world,
      "late-retry@example.com",
    );

    // Stripe makes the $2.50 refund, and its answer is lost: the reservation stays pending, unlinked.
    file.world.fake.refundAnswersLost = true;
    const note = await askRefundNote(file.world, invoice);
    file.world.fake.refundAnswersLost = false;
    expect(note.status).toBe(201);
    const refundId = await refundIdOfNote(file.world, note.body.data.id);
    expect(await refundOf(refundId)).toEqual({ status: "pending", provider_refund_id: null });
    const [made] = stripeRefundsOf(payment.reference);
    expect(stripeRefundsOf(payment.reference)).toHaveLength(1);
    expect(made?.metadata["tokenbill_refund_id"]).toBe(refundId);

    // Stripe is unreachable for every attempt of the job (and its webhook never comes): the job fails.
    file.world.fake.allRequestsFailWith = 500;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) await runNoteRefundJobs(file.world);
    file.world.fake.allRequestsFailWith = null;
    const job = await jobOf(refundId);
    expect(job).toMatchObject({ status: "failed", attempts: ATTEMPTS });
    expect(await refundOf(refundId)).toEqual({ status: "pending", provider_refund_id: null });
    expect(await statement(customerId)).toMatchObject({ credit: 250, credit_held: 250 });

    // Two days after the note, staff retry the job.
    clock.pin(new Date(Date.now() + 2 * DAY));
    expect((await file.world.server.api("POST", `/api/v1/jobs/${job.id}/retry`)).status).toBe(204);
    await runNoteRefundJobs(file.world);
    expect(await jobOf(refundId)).toMatchObject({ status: "done" });

    // One refund at Stripe, the one made first, linked to the reservation.
    expect(stripeRefundsOf(payment.reference).map((r) => r.id)).toEqual([made?.id]);
    expect(await refundOf(refundId)).toEqual({ status: "pending", provider_refund_id: made?.id });

    // Its webhook settles the reservation once; the open invoice still owes; no credit is left or held.
    const settled = file.world.fake.settleRefund(made?.id as string, "succeeded");
    expect((await file.world.deliver(settled)).status).toBe(200);
    expect((await file.world.deliver(settled)).status).toBe(200);
    expect(await refundOf(refundId)).toEqual({ status: "succeeded", provider_refund_id: made?.id });
    const rows = await file.world.db
      .selectFrom("refund")
      .select("amount")
      .where("payment_id", "=", payment.id)
      .execute();
    expect(rows).toEqual([{ amount: 250n }]);
    expect(await dueOf(open)).toBe(100n);
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 100 });
  });
});
