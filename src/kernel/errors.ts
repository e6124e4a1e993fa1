// The one error type of tokenbill (house style §2). Adapters map `code` to an HTTP status or an exit code;
// `details` carries machine-readable context such as the offending field.
export const ERROR_CODES = [
  "NOT_FOUND",
  "VALIDATION",
  "CONFLICT",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "UPSTREAM_UNAVAILABLE",
  "INTERNAL",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldIssue {
  field: string;
  message: string;
}

/** Who an outside failure's words were written for (ServiceError.unavailable); customers' words suit staff too. */
export type WordedFor = "staff" | "customers";

export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly issues: FieldIssue[];
  /** Set by ServiceError.unavailable alone: unset, an outside failure's message may quote the system's own. */
  readonly wordedFor?: WordedFor;

  constructor(code: ErrorCode, message: string, issues: FieldIssue[] = [], wordedFor?: WordedFor) {
    super(message);
    this.name = "ServiceError";
    this.code = code;
    this.issues = issues;
    if (wordedFor) this.wordedFor = wordedFor;
  }

  /**
   * An UPSTREAM_UNAVAILABLE whose message is fixed words for `wordedFor`, quoting nothing an outside system
   * said (no error message, URL or answer's text; tokenbill's own figures are fine), so the error page shows
   * it whole below admin (upstream-page-words.ts). Marked where it is thrown: a list of such messages kept
   * beside the page drifted from the verbs (a new or reworded message read as a failure to every role).
   */
  static unavailable(words: string, wordedFor: WordedFor): ServiceError {
    return new ServiceError("UPSTREAM_UNAVAILABLE", words, [], wordedFor);
  }

  static validation(field: string, message: string): ServiceError {
    return ServiceError.invalid([{ field, message }]);
  }

  /**
   * A VALIDATION error naming each field, worded "field: message; field: message". Capped here, where every
   * adapter's refusals pass (the API, pages, CLI): a 769 KB body of 60,000 unknown keys was answered with
   * 60,003 issues in 4 MB, and a field named by the client (an unknown or repeated key) is as long as the
   * client made it. See listedIssues.
   */
  static invalid(issues: FieldIssue[]): ServiceError {
    const listed = listedIssues(issues);
    return new ServiceError("VALIDATION", validationWording(listed) || "invalid input", listed);
  }

  static notFound(what: string): ServiceError {
    return new ServiceError("NOT_FOUND", `${what} not found`);
  }
}

/** How many issues a VALIDATION error lists; one more says how many were left out. */
export const MAX_LISTED_ISSUES = 20;
/** Field names are often the client's own text (an unknown key): longer ones are cut to this many characters. */
export const MAX_FIELD_NAME = 100;

/**
 * The first MAX_LISTED_ISSUES issues, each field name cut to MAX_FIELD_NAME characters and "…", and when more
 * were found, an issue on "(more)" saying how many: what a client needs to fix the first mistakes, in an
 * answer whose size does not grow with the size of the input.
 */
export function listedIssues(issues: readonly FieldIssue[]): FieldIssue[] {
  const listed = issues
    .slice(0, MAX_LISTED_ISSUES)
    .map((i) => (i.field.length > MAX_FIELD_NAME ? { ...i, field: shortened(i.field) } : i));
  const left = issues.length - listed.length;
  if (left > 0) listed.push({ field: "(more)", message: `${left} more issues not listed` });
  return listed;
}

function shortened(field: string): string {
  // Never half of a surrogate pair: the answer would carry a lone surrogate.
  const end = /[\uD800-\uDBFF]/.test(field.charAt(MAX_FIELD_NAME - 1)) ? MAX_FIELD_NAME - 1 : MAX_FIELD_NAME;
  return `${field.slice(0, end)}…`;
}

/** How a refusal naming fields is worded, so that adapters can tell one they may reword (cli/option-names.ts). */
export function validationWording(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `${i.field}: ${i.message}`).join("; ");
}

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof ServiceError;
}

/**
 * A failed call to an outside system (SolusIO; a payment provider later). Each client extends it, so the
 * kernel maps every one of them without knowing any. `retryable` is true when the same call may succeed
 * later (network errors, timeouts, 5xx); `status` is the HTTP status, null when there was no answer.
 */
export class UpstreamError extends Error {
  /**
   * Set by a subclass whose every message is tokenbill's own fixed words, naming no place (the database's
   * failures, database-outage.ts: the address stays in `cause`): read whole by every member of staff, as a
   * verb's ServiceError.unavailable words are, instead of only how the call failed.
   */
  readonly wordedFor?: WordedFor;

  constructor(
    /** Who failed, as a person names it: "SolusIO". */
    readonly upstream: string,
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
    wordedFor?: WordedFor,
  ) {
    super(message);
    this.name = "UpstreamError";
    if (wordedFor) this.wordedFor = wordedFor;
  }
}

/**
 * Errors from outside systems become UPSTREAM_UNAVAILABLE when they reach an adapter unhandled, so a
 * person sees "SolusIO said …" with a 503 or exit code 6, never an internal error.
 */
export function asServiceError(e: unknown): ServiceError | undefined {
  if (e instanceof ServiceError) return e;
  if (e instanceof UpstreamError)
    return new ServiceError("UPSTREAM_UNAVAILABLE", `${e.upstream}: ${e.message}`, [], e.wordedFor);
  return undefined;
}
