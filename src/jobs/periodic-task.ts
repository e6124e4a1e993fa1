import type { Logger } from "pino";

export interface PeriodicTask {
  stop(): Promise<void>;
}

/**
 * Runs `work` now and then every `intervalMs`, never two at once; a failure is logged and the next round
 * comes as planned. Used for work that must happen on a clock but is safe to repeat (polls, reconciliation).
 */
export function startPeriodicTask(
  name: string,
  intervalMs: number,
  logger: Logger,
  work: () => Promise<void>,
  options: { runAtStart?: boolean } = {},
): PeriodicTask {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const round = () => {
    if (stopped) return;
    current = work()
      .catch((error) =>
        logger.warn({ err: error, task: name }, `${name} failed; next try in ${intervalMs} ms`),
      )
      .finally(() => {
        if (stopped) return;
        timer = setTimeout(round, intervalMs);
        timer.unref();
      });
  };
  if (options.runAtStart ?? true) round();
  else {
    timer = setTimeout(round, intervalMs);
    timer.unref();
  }
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
