import type { Logger } from "pino";

/**
 * A query shared by the gauges one scrape reads it for: prom-client collects every metric of a scrape at
 * once, so the first gauge starts the query and the others await the same promise; the next scrape queries
 * again. A failed query gives undefined (logged): the gauges have no series for that scrape, and the rest of
 * the scrape goes on.
 */
export function sharedScrapeQuery<T>(run: () => Promise<T[]>, logger: Logger, what: string) {
  let pending: Promise<T[] | undefined> | undefined;
  return (): Promise<T[] | undefined> => {
    pending ??= run()
      .catch((error: unknown) => {
        logger.warn({ err: error }, `metrics: could not read ${what}`);
        return undefined;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}
