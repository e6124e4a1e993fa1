// What a handler throws to tell the runner how to go on: never retry (PermanentJobError), retry at a time it
// knows (RetryLaterError), or a failed attempt not to be retried before a time (RetryNotBeforeError). Any
// other error is a failed attempt, retried with the kind's backoff.

/** Throw this (or any error with `retryable: false`) to stop retrying a job: it is marked failed. */
export class PermanentJobError extends Error {
  readonly retryable = false;
}

/**
 * Throw this when the job cannot be done yet and the handler knows when it can: it is tried again after
 * `retryInMs` instead of the kind's backoff, and logged as deferred, not as a failure. The message is kept as
 * the job's last error, so whoever looks at the queue sees why it waits.
 */
export class RetryLaterError extends Error {
  /**
   * The deferral counts as an attempt (the claim's attempt is not given back): for a handler whose next run
   * must know that this one got some way, e.g. sent a write whose outcome is unknown (a sync job's create).
   */
  readonly countsAsAttempt: boolean;

  constructor(
    message: string,
    readonly retryInMs: number,
    options: { countsAsAttempt?: boolean } = {},
  ) {
    super(message);
    this.name = "RetryLaterError";
    this.countsAsAttempt = options.countsAsAttempt ?? false;
  }
}

/**
 * A failed attempt whose answer said how long the other side wants to be left alone (its Retry-After): retried
 * after the longer of `notBeforeMs` and the kind's backoff. Unlike a RetryLaterError it counts as a failed
 * attempt, so the kind's maxAttempts still ends the retries (a kind whose retries must stay inside a window,
 * as a refund's inside its idempotency key's 24 hours, keeps that bound).
 */
export class RetryNotBeforeError extends Error {
  constructor(
    message: string,
    readonly notBeforeMs: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "RetryNotBeforeError";
  }
}
