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
