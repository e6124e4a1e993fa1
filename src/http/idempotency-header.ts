import type { FastifyReply, FastifyRequest } from "fastify";
import { actorLabel } from "../kernel/actor.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { ServiceError } from "../kernel/errors.ts";
import {
  IDEMPOTENCY_KEY_FIELD,
  IDEMPOTENCY_KEY_PATTERN,
  type IdempotencyRequest,
  requestHash,
  type StoredAnswer,
} from "../kernel/idempotency.ts";
import { answerReaderOf, errorAnswerText, headersOfStatus } from "./errors.ts";

// The Idempotency-Key header of the admin API's POSTs a retry must not repeat (a route declares `idempotent:
// true`; docs/payments.md). Read here, honoured by the verbs (src/kernel/idempotency-key.ts).

const HEADER = "idempotency-key";

/** The request's key as the verbs take it, or undefined without the header; a bad key is a 400 naming it. */
export function readIdempotencyKey(
  request: FastifyRequest,
  ctx: ServiceContext,
  route: { method: string; url: string; status?: number | undefined },
  params: unknown,
  body: unknown,
): IdempotencyRequest | undefined {
  // Node joins a repeated header's values with ", ", which would make two keys one that looks valid.
  const raw = request.raw.rawHeaders;
  const given = raw.filter((name, i) => i % 2 === 0 && name.toLowerCase() === HEADER).length;
  if (given === 0) return undefined;
  if (given > 1) throw ServiceError.validation(IDEMPOTENCY_KEY_FIELD, "given more than once; give it once");
  const key = request.headers[HEADER];
  if (typeof key !== "string" || !IDEMPOTENCY_KEY_PATTERN.test(key))
    throw ServiceError.validation(
      IDEMPOTENCY_KEY_FIELD,
      "must be 1 to 255 printable ASCII characters (a UUID is a good key)",
    );
  return {
    scope: actorLabel(ctx.actor),
    key,
    requestHash: requestHash(route.method, route.url, params, body),
    successStatus: route.status ?? 200,
    // The scope is the key (actorLabel), and a key's role never changes: whoever sends the key again reads
    // what this request's reader reads (TOKENBILL_ADMIN_API_KEY's scope always has full authority).
    errorAnswer: (error) => errorAnswerText(error, request.id, answerReaderOf(request)),
  };
}

/**
 * Sends an answer kept under the key again, as it was, marked as a replay (as Stripe marks its own). A kept
 * 503 (Stripe could not be reached) carries Retry-After as it first did, whatever the client makes of it:
 * `Idempotent-Replayed` tells it that this key's answer will not change (docs/payments.md).
 */
export function sendReplay(reply: FastifyReply, answer: StoredAnswer): FastifyReply {
  return reply
    .status(answer.status)
    .headers(headersOfStatus(answer.status))
    .header("cache-control", "no-store")
    .header("idempotent-replayed", "true")
    .type("application/json; charset=utf-8")
    .send(answer.body);
}
