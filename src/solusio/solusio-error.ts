import { UpstreamError } from "../kernel/errors.ts";
import { upstreamText } from "./upstream-text.ts";

/**
 * The longest message a SolusioError keeps. Its message quotes SolusIO's answer, which can be a whole HTML
 * page or a message of any length; it is stored (the call log's `error`, a job's `last_error`) and printed.
 */
export const MAX_SOLUSIO_MESSAGE = 500;

/**
 * A failed SolusIO call. `retryable` is true for network errors, timeouts, 5xx, 408 and 429, and for a
 * write's 2xx answer that cannot be read — never for other 4xx, which repeat the same answer. A 422 carries SolusIO's per-field messages in `fields`, as sent. The message
 * quotes SolusIO's text, so it is made showable and cut to MAX_SOLUSIO_MESSAGE: a NUL in it made
 * PostgreSQL refuse the call log's batch and the job's failure, and a terminal escape in it reached the
 * operator's terminal.
 */
export class SolusioError extends UpstreamError {
  /** How long SolusIO asked to wait before the next try (its Retry-After, capped), when it said. */
  retryAfterMs: number | undefined;
  /** Set by the client when an attempt of the call may have been carried out (a write's answer was lost). */
  mayHaveBeenDone = false;

  constructor(
    message: string,
    status: number | null,
    retryable: boolean,
    readonly fields: Record<string, string[]> = {},
  ) {
    super("SolusIO", upstreamText(message, MAX_SOLUSIO_MESSAGE), status, retryable);
    this.name = "SolusioError";
  }
}

/** "email: The email has already been taken.; password: …" from a 422 body. */
export function describeFieldErrors(fields: Record<string, string[]>): string {
  return Object.entries(fields)
    .map(([field, messages]) => `${field}: ${messages.join(" ")}`)
    .join("; ");
}
