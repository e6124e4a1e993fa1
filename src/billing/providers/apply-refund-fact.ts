import type { Selectable } from "kysely";
import type { RefundStatus, RefundTable } from "../../db/schema.ts";
import type { TxContext } from "../../kernel/transaction.ts";
import { successAnswer } from "../../kernel/idempotency.ts";
import { settleIdempotencyKeyOfRefund } from "../payments/idempotency-key.ts";
import { lockCustomerForMoney } from "../payments/invoice-settlement.ts";
import { presentRefund } from "../payments/payment-schemas.ts";
import { recordRefundIn, settleRefundIn } from "../payments/refund-payment.ts";
import {
  type FoundRefund,
  type PaymentProvider,
  providerLabel,
  type RefundChanged,
} from "./payment-provider.ts";
import { refundStatusMove } from "./refund-status-order.ts";
import { endReservation, endReservationsInTheWay } from "./reservations-in-the-way.ts";

// What a provider says of a refund, applied to the books: by its verified webhook (process-provider-event.ts),
// by a look-up that found it (a release, a credit note's job, an ended reservation's look-up) and by a request
// whose answer came after its reservation ended (refund-through-provider.ts).

/**
 * Applies what the provider says of a refund; false when it changed nothing. Also what a released reservation
 * does with the refund the provider turns out to have made (releaseRefundReservation).
 */
export async function applyRefundFact(
  tx: TxContext,
  provider: PaymentProvider,
  told: RefundChanged,
): Promise<boolean> {
  const payment = await paymentOf(tx, provider, told.paymentRef);
  if (!payment) {
    sayUnmatchedRefund(tx, provider, told);
    return false;
  }
  // The provider's units, in tokenbill's minor units from here on (a reservation is matched by its amount).
  const amount = await amountInTokenbill(tx, provider, told.amount, payment.currency_code);
  if (amount === null) {
    tx.logger.error(
      { refund: told.refundRef, payment: payment.id, amount: String(told.amount) },
      "provider's refund is not a whole number of the currency's minor units: not recorded; record it by hand",
    );
    return false;
  }
  return (await applyRefundOfPayment(tx, provider, payment, { ...told, amount })).changed;
}

/**
 * A refund of a charge tokenbill holds no payment of this provider for is not tokenbill's to record (a charge of
 * another system sharing the account), but it is said, so that an operator can tell: until 2026-12-07 it was
 * answered "ignored" with no line. Not looked up under other methods (the unique index leads with the method,
 * so that would read every payment for each such event); the line names the charge for staff to search.
 */
function sayUnmatchedRefund(tx: TxContext, provider: PaymentProvider, told: RefundChanged) {
  const who = providerLabel(provider);
  tx.logger.info(
    { refund: told.refundRef, charge: told.paymentRef },
    `${who} refunded charge ${told.paymentRef}, of which tokenbill recorded no ${provider.name} payment: ignored ` +
      "(if a payment recorded by hand under another method is that charge, record the refund against it by hand)",
  );
}

/** A payment tokenbill recorded, as applyRefundOfPayment needs it. */
export interface RecordedPayment {
  id: string;
  customer_id: bigint;
  currency_code: string;
}

/** The refund row a provider's refund is once applied, and whether applying it changed the books. */
export interface AppliedRefund {
  refund: Selectable<RefundTable>;
  changed: boolean;
}

/**
 * applyRefundFact for a refund of `payment` whose amount is in tokenbill's minor units already: also what a
 * request records of the provider's answer (refund-through-provider.ts). Every way through links or records a
 * row for the provider's refund, which it returns: a caller never looks for one that might not be there.
 */
export async function applyRefundOfPayment(
  tx: TxContext,
  provider: PaymentProvider,
  payment: RecordedPayment,
  fact: RefundChanged,
): Promise<AppliedRefund> {
  // Under the customer's lock, as every refund is written: refundThroughProvider links its reservation too.
  await lockCustomerForMoney(tx.db, payment.customer_id);
  const known = await knownRefund(tx, payment.id, fact);
  if (known) {
    const linked = known.provider_refund_id === null;
    if (linked)
      await tx.db
        .updateTable("refund")
        .set({ provider_refund_id: fact.refundRef })
        .where("id", "=", known.id)
        .execute();
    const settled = await settleKnownRefund(tx, known, fact);
    // The link is the provider's answer a request whose own answer was lost never got: a client's key waiting
    // on the reservation is answered now, as that request would have been. Until 2026-12-07 it stayed in
    // flight, a 409 on every repeat for a day and then a second ask (a release refuses a linked reservation).
    if (linked) await answerKeyWaitingOn(tx, known.id);
    return { refund: await refundRow(tx, known.id), changed: linked || settled };
  }
  // A refund naming a reservation of this payment that it cannot be (another amount: Stripe makes a request's
  // refund for the amount asked or not at all, so this one was made or edited by hand). Left pending beside it,
  // the reservation held the note's credit for a card refund that never comes while this refund reopened
  // what it covered (until 2026-12-07): it ends first, as a release ends it, so its amount is spendable credit
  // and what is left of the payment to refund admits this refund, whatever its amount.
  const named = await reservationItCannotBe(tx, payment.id, fact);
  if (named) {
    const who = providerLabel(provider);
    tx.logger.error(
      {
        refund: named.id,
        reserved: String(named.amount),
        providerRefund: fact.refundRef,
        amount: String(fact.amount),
        currency: payment.currency_code,
        status: fact.status,
      },
      `${who} has refund ${fact.refundRef} of ${fact.amount} (minor units of ${payment.currency_code}) naming refund ${named.id}, which reserved ${named.amount}: recorded as a refund of the payment as ${who} made it, and the reservation released (its amount is the customer's credit again and pays their open invoices); nothing is asked of ${who} for it again. Look in ${who}'s dashboard at who made ${fact.refundRef}, and refund by hand whatever the customer is still owed on the card`,
    );
    // An ask whose answer was lost may have made the reservation's own refund too: a look-up, once any ask in
    // flight is over, records it if it exists.
    await endReservation(tx, named.id);
  }
  // Reservations of the payment that leave it no room cannot all have been made by the provider: they end.
  await endReservationsInTheWay(tx, provider, payment, fact);
  // A refund tokenbill has no row for: made in the provider's dashboard, or asked for by tokenbill whose
  // reservation was released when the provider's answer was lost. A failed one is recorded too, holding
  // nothing: events arrive in any order, and the earlier "pending" of this refund, delivered after, then finds
  // it failed instead of reserving its amount for good.
  // It keeps the row its metadata names, when that is one of this payment's (the reservation ended above, or
  // released before): the credit note whose reservation it was says its money went to the card.
  const refund = await recordRefundIn(tx.db, tx, {
    payment_id: payment.id,
    amount: fact.amount,
    reason: fact.reason,
    status: fact.status === "failed" ? "failed" : "pending",
    provider_refund_id: fact.refundRef,
    names_refund_id: named?.id ?? (await refundOfPaymentNamed(tx, payment.id, fact)),
  });
  if (fact.status === "succeeded")
    await settleRefundIn(tx.db, tx, { refund_id: refund.id, status: "succeeded" });
  return { refund: await refundRow(tx, refund.id), changed: true };
}

/**
 * Moves a known refund to the status the provider says, only ever forward (refund-status-order.ts), so facts
 * told in any order (an answer older than an event, an event sent again) end where the newest one says; false
 * when it changed nothing.
 */
async function settleKnownRefund(
  tx: TxContext,
  known: { id: string; status: RefundStatus },
  fact: RefundChanged,
): Promise<boolean> {
  const move = refundStatusMove(known.status, fact.status);
  if (move === "stay") return false;
  if (move === "older") {
    // Stripe never moves a failed (or canceled) refund on: what says otherwise is older, kept in its event only.
    tx.logger.warn(
      { refund: known.id, now: fact.status },
      "provider says a failed refund changed: left as is",
    );
    return false;
  }
  // pending → succeeded or failed; succeeded → failed (the money came back: reversed, reverseRefund).
  await settleRefundIn(tx.db, tx, { refund_id: known.id, status: move });
  return true;
}

/**
 * Answers a client's Idempotency-Key still waiting on the reservation (an API refund whose provider answer was
 * lost) with 201 and the refund as it now stands, as the look-up of an ended reservation answers it; a key
 * answered already (its request got the provider's answer) is left as it is.
 */
async function answerKeyWaitingOn(tx: TxContext, refundId: string): Promise<void> {
  const row = await refundRow(tx, refundId);
  await settleIdempotencyKeyOfRefund(tx.db, refundId, successAnswer(201, presentRefund(row)), tx.now());
}

function refundRow(tx: TxContext, refundId: string) {
  return tx.db.selectFrom("refund").selectAll().where("id", "=", refundId).executeTakeFirstOrThrow();
}

/**
 * Applies what a look-up found (findRefund: a release, a credit note's job) as the webhooks would: the
 * reservation's own refund first, which links or ends it, then the others naming it, which are recorded as
 * refunds of the payment (or, recorded already by their own webhooks, only settled: nothing twice). Until
 * 2026-12-07 the others waited for their own webhooks, and one lost left money the card got out of the books.
 */
export async function applyFoundRefund(
  tx: TxContext,
  provider: PaymentProvider,
  { others, ...found }: FoundRefund,
): Promise<void> {
  await applyRefundFact(tx, provider, found);
  // Said only of the others this changed: recorded already (their webhooks, an earlier look-up), they were
  // said to be recorded again (until 2026-12-07).
  const recorded: string[] = [];
  for (const other of others) if (await applyRefundFact(tx, provider, other)) recorded.push(other.refundRef);
  if (recorded.length > 0)
    tx.logger.warn(
      { refund: found.tokenbillRefundId, providerRefund: found.refundRef, others: recorded },
      `${providerLabel(provider)} has other refunds naming the same reservation besides ${found.refundRef}: recorded as refunds of the payment as ${providerLabel(provider)} made them (a second ask after its idempotency key was forgotten, or one made by hand); look in its dashboard at who made them`,
    );
}

/** An amount in the provider's units of `currencyCode` in tokenbill's minor units (stripe-amounts.ts). */
export async function amountInTokenbill(
  tx: TxContext,
  provider: PaymentProvider,
  amount: bigint,
  currencyCode: string,
): Promise<bigint | null> {
  const currency = await tx.db
    .selectFrom("currency")
    .select(["code", "exponent"])
    .where("code", "=", currencyCode)
    .executeTakeFirstOrThrow();
  return provider.amountFromProvider(amount, currency);
}

/** The payment tokenbill recorded for the provider's payment `paymentRef`, if any. */
export function paymentOf(tx: TxContext, provider: PaymentProvider, paymentRef: string) {
  return tx.db
    .selectFrom("payment")
    .select(["id", "customer_id", "currency_code"])
    .where("method", "=", provider.name)
    .where("reference", "=", paymentRef)
    .executeTakeFirst();
}

/**
 * The refund row a provider's refund is: the one linked to it, else the reservation tokenbill made for it
 * (named by the refund's metadata), if that reservation is still unlinked and is for the same payment and
 * amount. Anything else in the metadata (a Dashboard edit, a released reservation) is not trusted.
 */
async function knownRefund(tx: TxContext, paymentId: string, fact: RefundChanged) {
  const columns = ["id", "status", "provider_refund_id"] as const;
  const linked = await tx.db
    .selectFrom("refund")
    .select(columns)
    .where("provider_refund_id", "=", fact.refundRef)
    .executeTakeFirst();
  if (linked || fact.tokenbillRefundId === undefined) return linked;
  return tx.db
    .selectFrom("refund")
    .select(columns)
    .where("id", "=", fact.tokenbillRefundId)
    .where("payment_id", "=", paymentId)
    .where("amount", "=", fact.amount)
    .where("status", "=", "pending")
    .where("provider_refund_id", "is", null)
    .forUpdate()
    .executeTakeFirst();
}

/**
 * The reservation a provider's refund names by its metadata (`tokenbillRefundId`) when it cannot be its refund:
 * of the same payment, still pending and unlinked, for another amount (knownRefund matched it otherwise).
 */
function reservationItCannotBe(tx: TxContext, paymentId: string, fact: RefundChanged) {
  if (fact.tokenbillRefundId === undefined) return Promise.resolve(undefined);
  return tx.db
    .selectFrom("refund")
    .select(["id", "amount"])
    .where("id", "=", fact.tokenbillRefundId)
    .where("payment_id", "=", paymentId)
    .where("amount", "<>", fact.amount)
    .where("status", "=", "pending")
    .where("provider_refund_id", "is", null)
    .forUpdate()
    .executeTakeFirst();
}

/** The refund row of the payment a provider's refund names by its metadata, whatever its state; null if none. */
async function refundOfPaymentNamed(tx: TxContext, paymentId: string, fact: RefundChanged) {
  if (fact.tokenbillRefundId === undefined) return null;
  const row = await tx.db
    .selectFrom("refund")
    .select("id")
    .where("id", "=", fact.tokenbillRefundId)
    .where("payment_id", "=", paymentId)
    .executeTakeFirst();
  return row?.id ?? null;
}
