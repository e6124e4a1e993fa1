// What a job handler is: the claimed job it is given, the attempt's stop signal, and its optional look-ahead
// at the jobs claimed together. The runner (job-runner.ts) calls handlers; job kinds (job-kind.ts) wrap them.

export interface ClaimedJob<P = unknown> {
  id: bigint;
  kind: string;
  orderingKey: string | null;
  /** As stored; parsed with the kind's schema when the kind comes from the catalog. */
  payload: P;
  attempts: number;
}

/** What a handler is given beside its job. */
export interface JobRun {
  /**
   * Aborted once the runner no longer waits for this attempt: the stop's grace ended (the job is given back),
   * the kind's timeout passed, or the claim was lost (claimed again after it ran out, by this runner or another,
   * or not renewed for half the lock: lock-keeper.ts). What the attempt does after that is not recorded, and the job's next run may already be under way: a handler stops before its next
   * outside call (SolusIO, SMTP, a webhook) and before it writes what the next run writes.
   */
  signal: AbortSignal;
}

/** `run` is always given by the runner; a test calling a handler directly may leave it out. */
export type JobHandler<P = unknown> = ((job: ClaimedJob<P>, run?: JobRun) => Promise<void>) & {
  /**
   * Told of the jobs claimed for this kind together, before any of them starts (they start as slots free),
   * so that it can read what they need in one statement. Must not throw; what it starts must not reject
   * unhandled.
   */
  claimed?: (jobs: ClaimedJob<P>[]) => void;
};
