import type { Tx } from "./context.ts";
import { ServiceError } from "./errors.ts";
import {
  IDEMPOTENCY_KEY_FIELD,
  type IdempotencyRequest,
  IdempotentReplay,
  type StoredAnswer,
  successAnswer,
} from "./idempotency.ts";
import type { TxContext } from "./transaction.ts";

// The key of a request sent with Idempotency-Key (./idempotency.ts), or of a console form's one-time key
// (src/web/form-once.ts), claimed and answered inside the verbs' own transactions: a customer's creation, a
// payment, a mark-paid, a refund, a credit note. Each function does nothing when the request carries no key. What only a refund
// through a provider needs (a key waiting on its reservation) is in src/billing/payments/idempotency-key.ts.

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
    throw keyConflict(
      "this Idempotency-Key was used with a different request (method, route or body); use a new key for a new request",
    );
  if (!row || row.status === null || row.response_body === null)
    throw keyConflict("a request with this Idempotency-Key is still being processed; send it again later");
  throw new IdempotentReplay({ status: row.status, body: row.response_body });
}

/**
 * Stores the verb's answer (what the API sends as `data`) with the key, in the transaction that did the work;
 * `status` when the route answers more than one success (a payment's repeat by its reference is 200).
 */
export async function answerIdempotencyKey(
  tx: TxContext,
  request: IdempotencyRequest | undefined,
  data: unknown,
  status = request?.successStatus,
): Promise<void> {
  if (!request) return;
  await storeAnswer(tx.db, request, successAnswer(status ?? request.successStatus, data), tx.now());
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

/** A refusal naming the header, as every refusal names its field. */
function keyConflict(message: string): ServiceError {
  return new ServiceError("CONFLICT", `${IDEMPOTENCY_KEY_FIELD}: ${message}`, [
    { field: IDEMPOTENCY_KEY_FIELD, message },
  ]);
}

/** Writes the key's answer (an error's too) into the row this transaction claimed. */
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
