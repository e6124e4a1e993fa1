import type { Logger } from "pino";

// setTimeout takes at most 2^31 − 1 ms (24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Clock {
  stop(): Promise<void>;
  /** Resolves after the firing in progress, if any. */
  idle(): Promise<void>;
}

/**
 * Calls `fire` at `first` (at once when that is not in the future) and then at each `next(now)`, never two
 * at once. A failure is logged and the next firing comes as planned.
 */
export function startClock(options: {
  name: string;
  logger: Logger;
  now: () => Date;
  first: Date;
  next: (now: Date) => Date;
  fire: () => Promise<void>;
}): Clock {
  const { name, logger, now } = options;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const waitUntil = (at: Date) => {
    if (stopped) return;
    timer = setTimeout(round, Math.min(MAX_TIMER_MS, Math.max(10, at.getTime() - now().getTime())));
    timer.unref();
  };
  const round = () => {
    current = options
      .fire()
      .catch((error: unknown) => logger.warn({ err: error, schedule: name }, `${name} failed`))
      .finally(() => waitUntil(options.next(now())));
  };
  if (options.first.getTime() <= now().getTime()) round();
  else waitUntil(options.first);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
    idle: () => current,
  };
}

/** The start of the slot `now` falls in. Slots are aligned to the Unix epoch: every instance sees the same. */
export function slotStart(now: Date, intervalMs: number): Date {
  return new Date(Math.floor(now.getTime() / intervalMs) * intervalMs);
}

/** `2026-11-29T12:05` (UTC); seconds and milliseconds only when the slot starts at them. */
export function slotStamp(at: Date): string {
  return at
    .toISOString()
    .replace(/\.000Z$/, "")
    .replace(/:00$/, "")
    .replace(/Z$/, "");
}
