import type { Tx } from "../../kernel/context.ts";
import {
  IDEMPOTENCY_KEY_FIELD,
  type IdempotencyRequest,
  IdempotentReplay,
  type StoredAnswer,
  successAnswer,
} from "../../kernel/idempotency.ts";
import type { TxContext } from "../../kernel/transaction.ts";
import { fieldError } from "./field-error.ts";

// The key of a request sent with Idempotency-Key (src/kernel/idempotency.ts), claimed, answered and released
// inside the verbs' own transactions. Each function does nothing when the request carries no key.

/**
 * Claims the key as the first write of the verb's transaction. A second request with the key waits on the
 * primary key until the first commits (PostgreSQL; PGlite runs one transaction at a time), then finds the
 * stored answer and is given it (IdempotentReplay) without doing anything. Should the first roll back, the
 * second does the work.
 */
export async function claimIdempotencyKey(tx: TxContext, request: IdempotencyRequest | undefined) {
  if (!request) return;
  const claimed = await tx.db
    .insertInto("idempotency_key")
    .values({
      scope: request.scope,
      key: request.key,
      request_hash: request.requestHash,
      status: null,
      response_body: null,
      created_at: tx.now(),
      completed_at: null,
    })
    .onConflict((oc) => oc.columns(["scope", "key"]).doNothing())
    .returning("key")
    .executeTakeFirst();
  if (claimed) return;
  const row = await tx.db
    .selectFrom("idempotency_key")
    .select(["request_hash", "status", "response_body"])
    .where("scope", "=", request.scope)
    .where("key", "=", request.key)
    .executeTakeFirst();
  // Stripe answers a key reused for another request with its invalid-request status (400) and a concurrent
  // one with 409. Here both are 409 CONFLICT: the request itself is valid (a 400 would tell the client to
  // fix its fields), it clashes with what the key already stands for, and tokenbill's one table of codes
  // (src/http/errors.ts) has no 422. The field named is the header, so the client knows what to change.
  if (row && row.request_hash !== request.requestHash)
    throw fieldError(
      "CONFLICT",
      IDEMPOTENCY_KEY_FIELD,
      "this Idempotency-Key was used with a different request (method, route or body); use a new key for a new request",
    );
  if (!row || row.status === null || row.response_body === null)
    throw fieldError(
      "CONFLICT",
      IDEMPOTENCY_KEY_FIELD,
      "a request with this Idempotency-Key is still being processed; send it again later",
    );
  throw new IdempotentReplay({ status: row.status, body: row.response_body });
}

/** Stores the verb's answer (what the API sends as `data`) with the key, in the transaction that did the work. */
export async function answerIdempotencyKey(
  tx: TxContext,
  request: IdempotencyRequest | undefined,
  data: unknown,
): Promise<void> {
  if (!request) return;
  await storeAnswer(tx.db, request, successAnswer(request.successStatus, data), tx.now());
}

/** Stores an error as the key's answer: what was done stands (a reservation released), so it is not redone. */
export async function answerIdempotencyKeyWithError(
  tx: TxContext,
  request: IdempotencyRequest | undefined,
  error: unknown,
): Promise<void> {
  if (!request) return;
  await storeAnswer(tx.db, request, request.errorAnswer(error), tx.now());
}

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

async function storeAnswer(
  trx: Tx,
  request: Pick<IdempotencyRequest, "scope" | "key">,
  answer: StoredAnswer,
  now: Date,
): Promise<void> {
  await trx
    .updateTable("idempotency_key")
    .set({ status: answer.status, response_body: answer.body, completed_at: now })
    .where("scope", "=", request.scope)
    .where("key", "=", request.key)
    .execute();
}
