import { describe, expect, it } from "vitest";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import {
  cardRefundReads,
  reservationNobodyAsked as nobodyAsked,
  runNoteRefundJobs,
} from "./testing/pending-note-refund.ts";

// Several refunds in Stripe naming one credit note's reservation (the request's own; a second made when it was
// sent again after Stripe forgot its idempotency key; one made by hand with the metadata copied), none of
// whose webhooks came. The note's job links the reservation's own; until 2026-12-07 the others waited for
// their own webhooks, and if those were lost the card had money back that the books never showed. Now the
// look-up records them too, as refunds of the payment, as their webhooks would: a webhook arriving before or
// after records nothing twice.

const file = stripeWorldPerFile();

const { statement, jobOf } = cardRefundReads(() => file.world);

/** A $10.00 card payment with a $2.50 note whose process died (Stripe never told of it), and its reservation. */
async function reservationNobodyAsked(email: string) {
  const { customerId, payment, refundId } = await nobodyAsked(file.world, email);
  const naming = (id: string, amount: number) =>
    file.world.fake.addRefund({
      id,
      amount,
      payment_intent: payment.reference,
      status: "succeeded",
      metadata: { tokenbill_refund_id: refundId },
    });
  return { customerId, payment, refundId, naming };
}

/** The payment's refund rows by Stripe refund (null: not linked), each with its status and the note's link. */
const rowsOf = async (paymentId: string) =>
  (
    await file.world.db
      .selectFrom("refund")
      .select(["id", "amount", "status", "provider_refund_id", "credit_note_id", "names_refund_id"])
      .where("payment_id", "=", paymentId)
      .orderBy("provider_refund_id")
      .execute()
  ).map((r) => ({ ...r, amount: Number(r.amount) }));

describe("several refunds in Stripe naming a credit note's reservation", () => {
  it("the job links its own and records the others as refunds of the payment; their webhooks later add nothing", async () => {
    const { customerId, payment, refundId, naming } = await reservationNobodyAsked("several-1@example.com");
    const own = naming("re_several_own", 250);
    const again = naming("re_several_again", 250);
    const byHand = naming("re_several_by_hand", 100);
    const posts = file.world.refundCalls();

    await runNoteRefundJobs(file.world);
    expect(await jobOf(refundId)).toMatchObject({ status: "done" });
    expect(file.world.refundCalls()).toBe(posts);
    const recorded = await rowsOf(payment.id);
    expect(recorded).toEqual([
      expect.objectContaining({ provider_refund_id: "re_several_again", amount: 250, status: "succeeded" }),
      expect.objectContaining({ provider_refund_id: "re_several_by_hand", amount: 100, status: "succeeded" }),
      expect.objectContaining({ id: refundId, provider_refund_id: "re_several_own", status: "succeeded" }),
    ]);
    // The others are the payment's, naming the reservation, not the note's.
    for (const other of recorded.filter((r) => r.id !== refundId))
      expect(other).toMatchObject({ credit_note_id: null, names_refund_id: refundId });
    // $10.00 paid for $7.50; $6.00 went back to the card: $3.50 of it beyond the note is owed back.
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 350 });

    // Their webhooks come after all: nothing is recorded twice.
    for (const refund of [own, again, byHand])
      expect((await file.world.deliver(file.world.fake.event("refund.updated", refund))).status).toBe(200);
    expect(await rowsOf(payment.id)).toEqual(recorded);
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 350 });
  });

  it("a webhook of one of them arriving while the job looks is recorded once", async () => {
    const { customerId, payment, refundId, naming } = await reservationNobodyAsked("several-2@example.com");
    naming("re_several_own_2", 250);
    const again = naming("re_several_again_2", 250);
    // The second refund's webhook comes first, while the job's look-up waits on Stripe: it links the
    // reservation (same amount, still pending and unlinked); the look-up then finds both.
    file.world.fake.beforeNextLookup = async () => {
      expect((await file.world.deliver(file.world.fake.event("refund.updated", again))).status).toBe(200);
    };

    await runNoteRefundJobs(file.world);
    expect(file.world.fake.beforeNextLookup).toBeNull();
    expect(await jobOf(refundId)).toMatchObject({ status: "done" });
    expect(await rowsOf(payment.id)).toEqual([
      expect.objectContaining({
        id: refundId,
        provider_refund_id: "re_several_again_2",
        status: "succeeded",
      }),
      expect.objectContaining({
        provider_refund_id: "re_several_own_2",
        status: "succeeded",
        credit_note_id: null,
      }),
    ]);
    // $10.00 paid for $7.50; $5.00 went back: $2.50 beyond the note.
    expect(await statement(customerId)).toMatchObject({ credit: 0, credit_held: 0, balance: 250 });
  });
});
