import type { Tx } from "../../kernel/context.ts";
import type { IdempotencyRequest, StoredAnswer } from "../../kernel/idempotency.ts";
import type { TxContext } from "../../kernel/transaction.ts";

// What only a refund through a provider needs of an Idempotency-Key: the key waits on the refund's
// reservation until the provider answers (claiming and answering a key: src/kernel/idempotency-key.ts).

/** Names the refund reservation an unanswered key waits on (a refund through the provider). */
export async function linkIdempotencyKeyToRefund(
  tx: TxContext,
  request: IdempotencyRequest | undefined,
  refundId: string,
): Promise<void> {
  if (!request) return;
  await tx.db
    .updateTable("idempotency_key")
    .set({ refund_id: refundId })
    .where("scope", "=", request.scope)
    .where("key", "=", request.key)
    .execute();
}

/**
 * A released reservation's key (releaseRefundReservation): given the refund's answer when the provider had
 * made it, so a retry is not a second refund; deleted when the provider never heard of it, so a retry may ask.
 * Also the key of a reservation a refund of another amount ended, once its look-up knows what became of it
 * (look-up-ended-reservation.ts). A key answered already (its request got the provider's answer) is left.
 */
export async function settleIdempotencyKeyOfRefund(
  trx: Tx,
  refundId: string,
  answer: StoredAnswer | null,
  now: Date,
): Promise<void> {
  if (answer === null) {
    await trx
      .deleteFrom("idempotency_key")
      .where("refund_id", "=", refundId)
      .where("status", "is", null)
      .execute();
    return;
  }
  await trx
    .updateTable("idempotency_key")
    .set({ status: answer.status, response_body: answer.body, completed_at: now })
    .where("refund_id", "=", refundId)
    .where("status", "is", null)
    .execute();
}
