// What a handler throws to tell the runner how to go on: never retry (PermanentJobError), or retry at a time
// it knows (RetryLaterError). Any other error is a failed attempt, retried with the kind's backoff.

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
