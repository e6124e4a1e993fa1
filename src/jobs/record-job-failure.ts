import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";
import { storedErrorText } from "../db/stored-error-text.ts";
import { RetryLaterError, RetryNotBeforeError } from "./job-errors.ts";
import type { ClaimedJob } from "./job-handler.ts";
import type { RetryPolicy } from "./job-kind.ts";

// A failed attempt as the runner records it (job-runner.ts, execute): deferred, retried after its backoff,
// or failed for good, with the error kept as the job's last_error and logged.

/** The runner whose attempt failed: its database, its id (it only records jobs it still holds), its backoff. */
export interface FailingRunner {
  db: Kysely<Database>;
  logger: Logger;
  workerId: string;
  backoffBaseMs?: number | undefined;
  backoffCapMs?: number | undefined;
}

/** Records the failure of `job`'s attempt, unless the job is no longer this runner's (given back, claimed again). */
export async function recordJobFailure(
  runner: FailingRunner,
  job: ClaimedJob,
  retry: RetryPolicy,
  error: unknown,
): Promise<void> {
  const reason = (error as Error)?.message ?? String(error);
  // A deferral is not a failed attempt: it gives the claim's attempt back, so a kind with few attempts
  // (a scheduled kind has one) is never given up on while it only waits.
  const deferred = error instanceof RetryLaterError;
  const permanent = !deferred && (error as { retryable?: unknown })?.retryable === false;
  const exhausted =
    !deferred && !permanent && retry.maxAttempts !== undefined && job.attempts >= retry.maxAttempts;
  const final = permanent || exhausted;
  const message = exhausted ? `${reason} (gave up after ${attemptsText(job.attempts)})` : reason;
  const asked = error instanceof RetryNotBeforeError ? error.notBeforeMs : 0;
  const delay = deferred
    ? Math.max(0, error.retryInMs)
    : Math.max(asked, backoff(runner, job.attempts, retry));
  const attempts = deferred && !error.countsAsAttempt ? job.attempts - 1 : job.attempts;
  await runner.db
    .updateTable("job")
    .set({
      status: final ? "failed" : "pending",
      attempts,
      locked_until: null,
      // The message may carry another system's text (SolusIO's answer, a SolusIO user's e-mail): a NUL in
      // it made PostgreSQL refuse this update, and the job stayed running, to be claimed and fail again
      // for good. Every staff role reads it (the failed-jobs page and API): a URL it quotes is masked.
      last_error: storedErrorText(message, 2000),
      run_after: new Date(Date.now() + (final ? 0 : delay)),
      updated_at: new Date(),
    })
    .where("id", "=", job.id)
    .where("locked_by", "=", runner.workerId)
    // A job no longer running (given back, or closed by an attempt that superseded this one) stays as it is.
    .where("status", "=", "running")
    .execute()
    .catch((e) => runner.logger.error({ err: e, job: String(job.id) }, "could not record job failure"));
  runner.logger[permanent ? "error" : deferred ? "info" : "warn"](
    {
      job: String(job.id),
      kind: job.kind,
      worker: runner.workerId,
      attempts,
      retryInMs: final ? null : delay,
      error: message,
    },
    permanent
      ? "job failed permanently"
      : exhausted
        ? "job failed; no attempts left"
        : deferred
          ? "job deferred"
          : "job failed; will retry",
  );
}

function backoff(runner: FailingRunner, attempts: number, retry: RetryPolicy): number {
  const base = retry.backoffBaseMs ?? runner.backoffBaseMs ?? 1_000;
  const cap = retry.backoffCapMs ?? runner.backoffCapMs ?? 60_000;
  return Math.min(cap, base * 2 ** Math.max(0, attempts - 1));
}

function attemptsText(n: number): string {
  return n === 1 ? "1 attempt" : `${n} attempts`;
}
