/**
 * One check many callers wait on (a connection's binding check), started once. A caller's stop signal ends
 * its own wait at once; the check itself (its SolusIO calls) is cancelled only when every caller waiting
 * on it has stopped, so one caller's stop never fails another's wait. A caller without a signal keeps it
 * going to its end.
 */
export class SharedCheck {
  readonly done: Promise<void>;
  private readonly cancel = new AbortController();
  private waiting = 0;
  private kept = false;
  private passed = false;

  /** `onAbandoned` runs when the check is cancelled: it must not be handed to new callers. */
  constructor(
    run: (signal: AbortSignal) => Promise<void>,
    private readonly onAbandoned: () => void,
  ) {
    this.done = run(this.cancel.signal);
    this.done.then(
      () => {
        this.passed = true;
      },
      () => {},
    );
  }

  /** Resolves when the check passes; rejects with its failure, or with `stopped()` once `signal` aborts. */
  wait(signal: AbortSignal | undefined, stopped: () => Error): Promise<void> {
    // Once passed, as before signals existed: no listener, nothing counted (sync jobs ask before each step).
    if (this.passed) return this.done;
    if (!signal) {
      this.kept = true;
      return this.done;
    }
    if (signal.aborted) return Promise.reject(stopped());
    this.waiting++;
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        reject(stopped());
        if (--this.waiting > 0 || this.kept || this.passed) return;
        this.onAbandoned();
        this.cancel.abort();
      };
      signal.addEventListener("abort", leave, { once: true });
      this.done.then(resolve, reject).finally(() => signal.removeEventListener("abort", leave));
    });
  }
}
