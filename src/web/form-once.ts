import { randomBytes } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { errorAnswerText } from "../http/errors.ts";
import { actorLabel } from "../kernel/actor.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { asServiceError, ServiceError } from "../kernel/errors.ts";
import {
  IDEMPOTENCY_KEY_FIELD,
  IDEMPOTENCY_KEY_PATTERN,
  type IdempotencyRequest,
  IdempotentReplay,
  requestHash,
} from "../kernel/idempotency.ts";
import type { FieldErrors } from "./render.ts";
import { formFields } from "./web-deps.ts";

// The console's forms a second sending must not repeat (a refund, a credit note, a new customer) carry a
// one-time key, drawn fresh into every form the server renders and sent back with it. The verb claims it
// exactly as it claims the admin API's Idempotency-Key header (src/kernel/idempotency-key.ts), in the
// transaction that does the work: a form sent twice — a double click, a reload that re-posts, the back button
// and Send again — does the work once, and the second answer is the first one's page. A browser-side guard
// cannot promise that; this does, on both databases and across instances. docs/console.md, "A money form is
// sent once".

/** The hidden field the key travels in. */
export const FORM_KEY_FIELD = "form_key";

/** A new key for a form about to be drawn: 128 random bits, URL-safe (22 characters). */
export function newFormKey(): string {
  return randomBytes(16).toString("base64url");
}

/**
 * The key the posted form carried, as the verbs take an Idempotency-Key: scoped to the signed-in person, and
 * bound to this route and `input` (the verb's input as parsed from the form, so "1.00" and "1" are the same
 * request). Undefined when the form carried no key (a form drawn before keys, a hand-made request): the work
 * is then done as it always was. A key that no form of ours could have drawn is refused beside the form.
 */
export function formOnceRequest(
  request: FastifyRequest,
  ctx: ServiceContext,
  input: unknown,
): IdempotencyRequest | undefined {
  const key = formFields(request)[FORM_KEY_FIELD];
  if (key === undefined || key === "") return undefined;
  if (!IDEMPOTENCY_KEY_PATTERN.test(key))
    throw ServiceError.validation(FORM_KEY_FIELD, "this form's key is damaged; open the form again");
  return {
    scope: actorLabel(ctx.actor),
    key,
    requestHash: requestHash(request.method, request.routeOptions.url ?? "", request.params, input),
    successStatus: 201,
    // Kept as every staff role may read it: the key is the person's, and a person's role can be lowered before
    // they send the form again (an admin's kept answer would then show a billing user a host a fresh one hides).
    errorAnswer: (error) => errorAnswerText(error, request.id, undefined),
  };
}

/** What a second sending of a form is told, instead of doing the work again. */
export type FormOnceOutcome =
  /** The first sending succeeded: answer as it was answered (its stored `data`). */
  | { done: true; data: unknown }
  /** The first sending's error was kept (a provider refused after the money was reserved), or the key clashes. */
  | { done: false; status: number; errors: FieldErrors };

/**
 * The outcome of a form sent again under a key already used, or undefined for any other error (the page's
 * own handling applies). Its words are the console's: a person never typed an Idempotency-Key.
 */
export function formOnceOutcome(error: unknown): FormOnceOutcome | undefined {
  if (error instanceof IdempotentReplay) {
    const body = JSON.parse(error.answer.body) as { data?: unknown; error?: { message?: string } };
    if (error.answer.status < 400) return { done: true, data: body.data };
    const said = (body.error?.message ?? "it was refused").replace(/\.$/, "");
    return {
      done: false,
      status: error.answer.status,
      errors: { form: `This form was sent before and refused: ${said}. Nothing was done again.` },
    };
  }
  const e = asServiceError(error);
  if (e?.code !== "CONFLICT" || !e.issues.some((i) => i.field === IDEMPOTENCY_KEY_FIELD)) return undefined;
  // The key's two clashes (its first sending still at work, or it carried other values) read alike here.
  return {
    done: false,
    status: 409,
    errors: {
      form: "This form was sent before, so nothing was done again: its first sending is still at work or carried other values. Reload the page it came from to see what was done; to make another, open the form again.",
    },
  };
}
