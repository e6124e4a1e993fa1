/**
 * What `promise` gave, if it settled within `ms`: `{ settled: true, value }`, or `{ settled: false }` once the
 * time is up, leaving it running (a statement cannot be called back). A rejection within the time rejects.
 * For waits on a database that may have stopped answering without refusing, where only a clock can tell.
 */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ settled: true; value: T } | { settled: false }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ settled: false }>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms);
  });
  try {
    return await Promise.race([promise.then((value) => ({ settled: true as const, value })), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `run` shared by concurrent callers and bounded by `ms` per call: callers while one is out await the same
 * promise; one that overran its wait makes later calls give `{ settled: false }` at once, neither waiting for
 * it again nor starting another beside it, until it settles. `first` is true for the call that found it
 * overrunning, to say so once. For probes of a database that may have stopped answering (readiness, metrics).
 */
export function sharedWithin<T>(
  run: () => Promise<T>,
  ms: number,
): () => Promise<{ settled: true; value: T } | { settled: false; first: boolean }> {
  let pending: Promise<T> | undefined;
  let overran = false;
  return async () => {
    if (overran) return { settled: false, first: false };
    pending ??= run().finally(() => {
      pending = undefined;
      overran = false;
    });
    const answer = await within(pending, ms);
    if (answer.settled) return answer;
    // Unless it settled in the meantime (its `finally` has run): then the next call runs it again.
    overran = pending !== undefined;
    return { settled: false, first: true };
  };
}
