import { UpstreamError } from "../kernel/errors.ts";

/**
 * A failed SolusIO call. `retryable` is true for network errors, timeouts and 5xx — never for 4xx, which
 * repeat the same answer. A 422 carries SolusIO's per-field messages in `fields`.
 */
export class SolusioError extends UpstreamError {
  constructor(
    message: string,
    status: number | null,
    retryable: boolean,
    readonly fields: Record<string, string[]> = {},
  ) {
    super("SolusIO", message, status, retryable);
    this.name = "SolusioError";
  }
}

/** "email: The email has already been taken.; password: …" from a 422 body. */
export function describeFieldErrors(fields: Record<string, string[]>): string {
  return Object.entries(fields)
    .map(([field, messages]) => `${field}: ${messages.join(" ")}`)
    .join("; ");
}
