import { enqueue } from "../../jobs/enqueue-job.ts";
import type { TxContext } from "../../kernel/transaction.ts";
import { refundedSoFar, settleRefundIn } from "../payments/refund-payment.ts";
import type { RecordedPayment } from "./apply-refund-fact.ts";
import { type PaymentProvider, providerLabel, type RefundChanged } from "./payment-provider.ts";
import { RefundBeyondPaymentError } from "./refund-beyond-payment.ts";
import { ENDED_RESERVATION_LOOK_UP_DELAY_MS } from "./reservation-age.ts";

// A refund the provider made must be in the books (the card has the money), but what is left of the payment
// to refund counts tokenbill's reservations, which are only what tokenbill asked for: one whose call the
// provider answered 5xx without making it stays pending until released. A refund then made in the Dashboard
// for the rest of the payment did not fit beside it, and its webhook was refused on every delivery (until
// 2026-12-07). Stripe never refunds more than the charge, so a reservation standing in its way cannot also be
// made: it ends, as a refund of another amount naming it ends it, and a look-up records it if made after all.

/**
 * Ends the fewest pending reservations of `payment` not linked to a provider's refund, oldest first (the
 * likeliest to be stale; a recent one may still be in flight), that leave room for `fact`, a refund the
 * provider made. None when it fits. When even ending all of them leaves no room, tokenbill's refunds the
 * provider made (or is making) and this one add up to more than the payment: its amount or a refund's state
 * differs from the provider's, which no ending mends: refused (RefundBeyondPaymentError), saying so; whoever
 * meets the refusal queues a look-up of the charge's refunds (chargeLookUpFor).
 */
export async function endReservationsInTheWay(
  tx: TxContext,
  provider: PaymentProvider,
  payment: RecordedPayment,
  fact: RefundChanged,
): Promise<void> {
  if (fact.status === "failed") return; // holds nothing, so what is left does not limit it (recordRefundIn)
  const { amount: paid } = await tx.db
    .selectFrom("payment")
    .select("amount")
    .where("id", "=", payment.id)
    .executeTakeFirstOrThrow();
  const left = paid - (await refundedSoFar(tx.db, payment.id));
  if (fact.amount <= left) return;
  const over = fact.amount - left;
  const reservations = await tx.db
    .selectFrom("refund")
    .select(["id", "amount"])
    .where("payment_id", "=", payment.id)
    .where("status", "=", "pending")
    .where("provider_refund_id", "is", null)
    .orderBy("created_at")
    .orderBy("id")
    .forUpdate()
    .execute();
  const ending: typeof reservations = [];
  let room = 0n;
  for (const r of reservations) {
    if (room >= over) break;
    ending.push(r);
    room += r.amount;
  }
  const who = providerLabel(provider);
  // Whoever meets this refusal after its transaction rolled back queues a look-up of the charge's refunds
  // (refund-beyond-payment.ts): the fact tokenbill missed is most often a refund's failure.
  if (room < over)
    throw new RefundBeyondPaymentError(
      `${who} has refund ${fact.refundRef} of ${fact.amount} (minor units of ${payment.currency_code}) of payment ${payment.id}, but tokenbill's refunds of it that ${who} made or may make leave ${left + room} of it: not recorded, since the books cannot take back more than the payment brought. tokenbill's payment or its refunds differ from ${who}'s (a refund whose failure tokenbill never heard, a payment recorded by hand for another amount)`,
      payment.id,
      payment.customer_id,
      who,
    );
  tx.logger.error(
    {
      payment: payment.id,
      providerRefund: fact.refundRef,
      amount: String(fact.amount),
      currency: payment.currency_code,
      left: String(left),
      ended: ending.map((r) => r.id),
    },
    `${who} has refund ${fact.refundRef} of ${fact.amount} (minor units of ${payment.currency_code}) of payment ${payment.id}, more than tokenbill's reservations of it leave (${left}): ${who} cannot have made them all beside it, so ${ending.length > 1 ? "reservations" : "reservation"} ${ending.map((r) => `${r.id} (${r.amount})`).join(", ")} ${ending.length > 1 ? "end" : "ends"} (oldest first; its amount released, as a release does) and the refund is recorded; a look-up asks ${who} whether it made an ended one after all, and records it if so. Look in ${who}'s dashboard at who made ${fact.refundRef}`,
  );
  for (const r of ending) await endReservation(tx, r.id);
}

/**
 * Ends a pending, unlinked reservation (failed, its amount and any credit it held free again) and enqueues the
 * look-up that records its own refund if the provider made it after all: an ask whose answer was lost may have
 * made it, and nothing asks or looks for an ended reservation again (look-up-ended-reservation.ts).
 */
export async function endReservation(tx: TxContext, refundId: string): Promise<void> {
  await settleRefundIn(tx.db, tx, { refund_id: refundId, status: "failed", onlyUnlinked: true });
  await enqueue(
    tx.db,
    "refund.look_up_ended_reservation",
    { refund_id: refundId },
    {
      slot: `refund.look_up_ended_reservation:${refundId}`,
      runAfter: new Date(tx.now().getTime() + ENDED_RESERVATION_LOOK_UP_DELAY_MS),
    },
  );
}
