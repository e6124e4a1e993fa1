import type { Logger } from "pino";

/**
 * The signals that stop `serve` gracefully. SIGHUP is one of them: a closed terminal, a supervisor's reload
 * or `kill -HUP` sent it, and Node's default for it ended the process at once (exit 129): nothing logged, no
 * job given back, the SolusIO call log's last batch lost. tokenbill reads no configuration file again on a
 * reload, so a hang-up is a stop, as SIGTERM is (docs/operations.md, "Signals and logs").
 */
export const SERVE_STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type ServeStopSignal = (typeof SERVE_STOP_SIGNALS)[number];

/**
 * What the forced exit does when closing has not ended `afterMs` after the signal: it logs why at error, so
 * that an exit code 1 in the supervisor's record has its line in the log (before, it logged nothing), then
 * exits 1.
 */
export function forcedExit(
  logger: Logger,
  signal: ServeStopSignal,
  afterMs: number,
  exit: (code: number) => void = (code) => process.exit(code),
): () => void {
  return () => {
    logger.error(
      { signal, after_ms: afterMs },
      `forced exit: closing had not ended ${afterMs / 1000} s after ${signal}`,
    );
    exit(1);
  };
}

/**
 * Stops `server` at the first of SERVE_STOP_SIGNALS: logs the stop, closes everything (job runners first,
 * database last), logs "tokenbill stopped" and exits 0; a close that does not end within `forcedExitMs` ends
 * the process with 1 (forcedExit). Signals after the first are ignored: the stop is under way.
 */
export function stopServeOnSignals(
  logger: Logger,
  server: { close(): Promise<void> },
  forcedExitMs: number,
): void {
  let stopping = false;
  const stop = async (signal: ServeStopSignal) => {
    if (stopping) return;
    stopping = true;
    // Whatever happens while closing (a log pipe gone with its reader, a hung connection), the process
    // ends: cleanly when it can, after forcedExitMs at the latest. Job handlers get 8 s of 10 (JOB_STOP_GRACE_MS).
    setTimeout(forcedExit(logger, signal, forcedExitMs), forcedExitMs).unref();
    try {
      logger.info({ signal }, "shutting down");
      await server.close();
      // The last line of a clean stop: a log that ends without it ended otherwise (killed, forced).
      logger.info({ signal }, "tokenbill stopped");
    } finally {
      process.exit(0);
    }
  };
  for (const signal of SERVE_STOP_SIGNALS) process.on(signal, () => void stop(signal));
}
