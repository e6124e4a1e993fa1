import type { Logger } from "pino";
import { sharedWithin } from "../kernel/within.ts";

/**
 * How long a scrape waits for the database's figures. Prometheus gives a scrape 10 s by default; a database
 * that stopped answering must not cost the whole scrape, the process's own figures included.
 */
const SCRAPE_QUERY_WAIT_MS = 3_000;

/**
 * A query shared by the gauges one scrape reads it for: prom-client collects every metric of a scrape at
 * once, so the first gauge starts the query and the others await the same promise; the next scrape queries
 * again. A query that fails, or does not answer within `waitMs`, gives undefined (logged): the gauges have no
 * series for that scrape, and the rest of the scrape goes on. While a query that overran is still out, later
 * scrapes neither wait for it again nor send another beside it; they give undefined at once.
 */
export function sharedScrapeQuery<T>(
  run: () => Promise<T[]>,
  logger: Logger,
  what: string,
  waitMs = SCRAPE_QUERY_WAIT_MS,
) {
  const read = sharedWithin(
    () =>
      run().catch((error: unknown) => {
        logger.warn({ err: error }, `metrics: could not read ${what}`);
        return undefined;
      }),
    waitMs,
  );
  return async (): Promise<T[] | undefined> => {
    const answer = await read();
    if (answer.settled) return answer.value;
    if (answer.first)
      logger.warn({ waitedMs: waitMs }, `metrics: could not read ${what} (no answer in time)`);
    return undefined;
  };
}
