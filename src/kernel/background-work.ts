/**
 * Work a request starts and does not wait for (a billing run launched from the API or the console), owned by
 * the server that started it: at close, `signal` is aborted, so the work stops at its next safe point, and
 * `settled()` waits for it, so it can record how it ended before the database is closed under it.
 */
export class BackgroundWork {
  private readonly stopping = new AbortController();
  private readonly running = new Set<Promise<unknown>>();

  /** Aborted once the owner starts closing. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /** Keeps `work` until it settles; its failure is the caller's to handle. */
  add(work: Promise<unknown>): void {
    const kept = work.then(
      () => {},
      () => {},
    );
    this.running.add(kept);
    void kept.finally(() => this.running.delete(kept));
  }

  /** Aborts the signal and resolves once every work added so far has settled. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.running);
  }
}
