/**
 * Settles like `work`, or rejects once `timeoutMs` has passed. The work itself cannot be cancelled and may go
 * on: handlers bound their own I/O (HTTP, SMTP and SolusIO timeouts) well inside their kind's limit, and
 * kinds whose work is long (billing runs) are safe to repeat.
 */
export function withTimeout(work: Promise<void>, timeoutMs: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  // A late failure of an abandoned attempt is not an unhandled rejection.
  work.catch(() => {});
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
