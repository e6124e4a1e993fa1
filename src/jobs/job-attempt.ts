// One attempt of a job as its runner waits for it (job-runner.ts, execute), and the signal its handler gets.

/** How the runner stopped waiting for an attempt before its handler ended. */
export type AttemptEnd = "cut" | "superseded" | "lost";

/** One attempt of a job as the runner waits for it: ended early by a stop's grace or a new claim. */
export class Attempt {
  private readonly controller = new AbortController();
  private endEarly: ((end: AttemptEnd) => void) | undefined;
  private endedAs: AttemptEnd | undefined;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * "ended" when `work` does (rejecting as it does), or how the attempt was ended first. Promise.race keeps a
   * late rejection of `work` handled; what it ends with then is not recorded.
   */
  race(work: Promise<void>): Promise<"ended" | AttemptEnd> {
    if (this.endedAs) return Promise.resolve(this.endedAs);
    const early = new Promise<AttemptEnd>((resolve) => {
      this.endEarly = resolve;
    });
    return Promise.race([work.then(() => "ended" as const), early]);
  }

  end(how: AttemptEnd): void {
    this.endedAs ??= how;
    this.endEarly?.(this.endedAs);
    this.abort();
  }

  abort(): void {
    if (!this.controller.signal.aborted) this.controller.abort(new JobAttemptEnded(this.endedAs));
  }
}

/** The reason of an aborted JobRun.signal. */
export class JobAttemptEnded extends Error {
  constructor(how: AttemptEnd | undefined) {
    super(
      how === "cut"
        ? "the stop's grace ended: the job was given back"
        : how === "superseded"
          ? "the job's claim ran out and it was claimed again"
          : how === "lost"
            ? "the job's claim was lost (not renewed in time, or taken over by another runner)"
            : "the runner no longer waits for this attempt",
    );
    this.name = "JobAttemptEnded";
  }
}
