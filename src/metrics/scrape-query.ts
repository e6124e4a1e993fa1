import type { Logger } from "pino";

/**
 * A query shared by the gauges one scrape reads it for: prom-client collects every metric of a scrape at
 * once, so the first gauge starts the query and the others await the same promise; the next scrape queries
 * again. A failed query leaves the gauges empty for that scrape (logged), never fails the whole scrape.
 */
export function sharedScrapeQuery<T>(run: () => Promise<T[]>, logger: Logger, what: string) {
  let pending: Promise<T[]> | undefined;
  return (): Promise<T[]> => {
    pending ??= run()
      .catch((error: unknown) => {
        logger.warn({ err: error }, `metrics: could not read ${what}`);
        return [];
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}
