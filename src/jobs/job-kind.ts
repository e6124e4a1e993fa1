import type { z } from "zod";
import { payloadIssues } from "./job-payloads.ts";
import { PermanentJobError } from "./job-errors.ts";
import type { ClaimedJob, JobHandler, JobRun } from "./job-handler.ts";

/** How often a kind is tried. Unset fields take the runner's (JOB_RETRY_CAP_MS). */
export interface RetryPolicy {
  /** Attempts before a retryable failure becomes final; unset: retry until done (or a permanent error). */
  maxAttempts?: number;
  /** The wait after the first failure, doubled after each further one up to backoffCapMs. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

/** One job kind as the runner sees it: the catalog's declaration (catalog.ts) with its handler bound. */
export interface RunnableKind {
  /** Parses the job's payload and returns the call of its handler; PermanentJobError when it does not parse. */
  prepare(job: ClaimedJob): (run: JobRun) => Promise<void>;
  retry: RetryPolicy;
  /** An attempt still running after this long fails, and is retried as `retry` says; unset: no limit. */
  timeoutMs?: number;
  /** The handler's look-ahead at jobs claimed together (JobHandler.claimed), given those whose payload parses. */
  claimed?: (jobs: ClaimedJob[]) => void;
}

export function runnableKind<S extends z.ZodType>(
  spec: { payload: S; retry: RetryPolicy; timeoutMs: number },
  handler: JobHandler<z.output<S>>,
): RunnableKind {
  const lookAhead = handler.claimed;
  return {
    retry: spec.retry,
    timeoutMs: spec.timeoutMs,
    ...(lookAhead && {
      claimed(jobs: ClaimedJob[]) {
        const typed = jobs.flatMap((job) => {
          const parsed = spec.payload.safeParse(job.payload);
          return parsed.success ? [{ ...job, payload: parsed.data as z.output<S> }] : [];
        });
        if (typed.length > 0) lookAhead(typed);
      },
    }),
    prepare(job) {
      const parsed = spec.payload.safeParse(job.payload);
      // A payload that does not parse now never will: failing at once beats retrying forever.
      if (!parsed.success) {
        throw new PermanentJobError(
          `job ${job.id} (${job.kind}) has an invalid payload: ${payloadIssues(parsed.error)}`,
        );
      }
      const typed: ClaimedJob<z.output<S>> = { ...job, payload: parsed.data };
      return (run) => handler(typed, run);
    },
  };
}

/** A bare handler is a kind with the runner's defaults: payload as stored, retried until done, no limit. */
export function runnableOf(entry: RunnableKind | JobHandler | undefined): RunnableKind | undefined {
  if (typeof entry !== "function") return entry;
  return { prepare: (job) => (run) => entry(job, run), retry: {}, claimed: entry.claimed };
}
