import { describe, expect, it } from "vitest";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import {
  cardRefundReads,
  noteWhoseProcessDied,
  refundIdOfPayment,
  runNoteRefundJobs,
} from "./testing/pending-note-refund.ts";

// A refund the note's job finds in Stripe naming its reservation that cannot be recorded against it: here one
// tokenbill recorded already as a refund of the payment (made in the Dashboard, its metadata edited there
// afterwards to name the reservation). Every attempt would find the same refund and the same row, so until
// 2026-12-07 the job was tried 12 times over about 10 hours for the same outcome; now it fails for good at
// once, the reservation still holding its amount for staff to decide.

const file = stripeWorldPerFile();

const { statement, refundOf, jobOf } = cardRefundReads(() => file.world);

describe("a refund found naming a credit note's reservation that is recorded as another row", () => {
  it("fails the job for good at once, naming both rows; nothing is asked and the reservation still holds", async () => {
    const { customerId, payment } = await noteWhoseProcessDied(file.world, "elsewhere-1@example.com");
    const refundId = await refundIdOfPayment(file.world, payment.id);
    // $2.50 refunded by hand in the Dashboard: its webhook records it as a refund of the payment.
    const byHand = file.world.fake.addRefund({
      id: "re_elsewhere",
      amount: 250,
      payment_intent: payment.reference,
      status: "succeeded",
    });
    expect((await file.world.deliver(file.world.fake.event("refund.updated", byHand))).status).toBe(200);
    const { id: recorded } = await file.world.db
      .selectFrom("refund")
      .select("id")
      .where("provider_refund_id", "=", "re_elsewhere")
      .executeTakeFirstOrThrow();
    // Then someone gives it the reservation's metadata in the Dashboard.
    byHand.metadata = { tokenbill_refund_id: refundId };
    const posts = file.world.refundCalls();

    await runNoteRefundJobs(file.world);
    const job = await jobOf(refundId);
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(job.last_error).toContain(`Stripe has refund re_elsewhere for refund ${refundId}`);
    expect(job.last_error).toContain(`recorded already as refund ${recorded}`);
    expect(job.last_error).toContain("stays pending, holding its amount");
    expect(job.last_error).not.toMatch(/asking again|gave up after/);
    expect(file.world.refundCalls()).toBe(posts);
    expect(await refundOf(refundId)).toEqual({ status: "pending", provider_refund_id: null });
    expect(await statement(customerId)).toMatchObject({ credit_held: 250 });
  });
});
