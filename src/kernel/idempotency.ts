import { createHash } from "node:crypto";
import { jsonText } from "./json.ts";

// An Idempotency-Key sent with an admin request a retry must not repeat (credit notes, refunds, a customer's
// creation: docs/payments.md), or a console form's one-time key (src/web/form-once.ts). The adapter that read
// the header builds an IdempotencyRequest and puts it in the context; the verb claims the key in its own
// transaction (src/kernel/idempotency-key.ts), so the key and the work commit together, and a repeat of the
// request is answered with what the first one was answered.

/** What an answer is stored as, and replayed as: its HTTP status and its exact body. */
export interface StoredAnswer {
  status: number;
  body: string;
}

export interface IdempotencyRequest {
  /** Who sent it (actorLabel): one client's key never meets another's. */
  scope: string;
  /** 1–255 printable ASCII characters (IDEMPOTENCY_KEY_PATTERN). */
  key: string;
  /** requestHash(): a different request under the same key is refused, never answered with another's answer. */
  requestHash: string;
  /** The status of the verb's success (201). */
  successStatus: number;
  /** The answer an error would get, for an error that is kept (a provider's refusal after the money was reserved). */
  errorAnswer(error: unknown): StoredAnswer;
}

/** Printable ASCII, space included, 1 to 255 characters (Stripe's limit). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

/** The field name a refusal about the header carries in `issues`. */
export const IDEMPOTENCY_KEY_FIELD = "header.idempotency-key";

/**
 * Thrown by a verb whose key was already answered: nothing was done (the transaction it was thrown from rolls
 * back), and the adapter sends `answer` as it is.
 */
export class IdempotentReplay extends Error {
  constructor(readonly answer: StoredAnswer) {
    super("answered before under this Idempotency-Key");
    this.name = "IdempotentReplay";
  }
}

/** The admin API's success envelope, as it is sent and stored: `{ "data": … }` as jsonText writes it. */
export function successAnswer(status: number, data: unknown): StoredAnswer {
  return { status, body: jsonText({ data }) };
}

/**
 * SHA-256 of the method, the route's pattern, its path parameters and its parsed body, with object keys
 * sorted: the same request sent with its fields in another order is the same request.
 */
export function requestHash(method: string, route: string, params: unknown, body: unknown): string {
  const canonical = jsonText([method, route, sortKeys(params ?? null), sortKeys(body ?? null)]);
  return createHash("sha256").update(canonical).digest("hex");
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object" || value instanceof Date) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}
