import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { sharedScrapeQuery } from "./scrape-query.ts";

// The database's part of a scrape, when the database does not answer: the scrape goes on without it.

function capturedLogger() {
  const lines: { msg: string }[] = [];
  return {
    lines,
    logger: pino({ level: "warn" }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
  };
}

describe("sharedScrapeQuery", () => {
  it("shares one query between the gauges of a scrape, and queries again for the next scrape", async () => {
    const { logger } = capturedLogger();
    let queries = 0;
    const read = sharedScrapeQuery(async () => [++queries], logger, "the job queue", 1_000);
    expect(await Promise.all([read(), read()])).toEqual([[1], [1]]);
    expect(await read()).toEqual([2]);
  });

  it("gives up on a query that does not answer in time, does not wait for it again, and queries anew once it settles", async () => {
    const { lines, logger } = capturedLogger();
    let answerFirst: (rows: number[]) => void = () => {};
    let queries = 0;
    // The first query hangs until the test answers it; later ones answer at once.
    const read = sharedScrapeQuery(
      () => {
        queries++;
        if (queries > 1) return Promise.resolve([queries]);
        return new Promise<number[]>((resolve) => {
          answerFirst = resolve;
        });
      },
      logger,
      "the job queue",
      20,
    );
    expect(await read()).toBeUndefined();
    expect(lines.map((line) => line.msg)).toEqual([
      "metrics: could not read the job queue (no answer in time)",
    ]);
    // Still out: the next scrapes give nothing at once, send no second query, and log nothing more.
    const atOnce = await Promise.race([read(), new Promise((r) => setTimeout(() => r("waited"), 10))]);
    expect(atOnce).toBeUndefined();
    expect(queries).toBe(1);
    expect(lines).toHaveLength(1);
    // Once it settles, the next scrape queries again.
    answerFirst([1]);
    await new Promise((r) => setTimeout(r, 0));
    expect(await read()).toEqual([2]);
  });
});
