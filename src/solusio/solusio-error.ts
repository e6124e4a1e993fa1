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
  /** Why no answer came (status null): what a person is told to check differs (solusio-failure-fix.ts). */
  noAnswer: NoAnswer | undefined;
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

/**
 * Why a call got no answer: the attempt's time ran out (SOLUSIO_TIMEOUT_MS); the TLS handshake failed, with
 * Node's code for it (DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID,
 * ERR_SSL_WRONG_VERSION_NUMBER…); or the connection failed otherwise (ECONNREFUSED, ENOTFOUND, a reset).
 */
export type NoAnswer =
  | { kind: "timeout" }
  | { kind: "tls"; code: string }
  | { kind: "network"; code: string | undefined };

/** Node's and undici's codes for a time that ran out before SolusIO answered. */
const TIMEOUT_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
]);

/** Why `error`, thrown by a request that got no answer, got none (NoAnswer). */
export function noAnswerOf(error: unknown): NoAnswer {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return { kind: "network", code: undefined };
  if (TIMEOUT_CODES.has(code)) return { kind: "timeout" };
  // OpenSSL's certificate verdicts (UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED…), Node's host name check
  // (ERR_TLS_…) and handshakes that failed (ERR_SSL_…, as when SOLUSIO_URL says https to a plain HTTP port).
  if (/CERT|SELF_SIGNED|^UNABLE_TO_|^ERR_TLS_|^ERR_SSL_|^EPROTO$/.test(code)) return { kind: "tls", code };
  return { kind: "network", code };
}

/** The SolusioError behind `error`: itself, or the one it was made from (a wrapper's `cause`). */
export function solusioErrorIn(error: unknown): SolusioError | undefined {
  if (error instanceof SolusioError) return error;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause instanceof SolusioError ? cause : undefined;
}

/** "email: The email has already been taken.; password: …" from a 422 body. */
export function describeFieldErrors(fields: Record<string, string[]>): string {
  return Object.entries(fields)
    .map(([field, messages]) => `${field}: ${messages.join(" ")}`)
    .join("; ");
}
