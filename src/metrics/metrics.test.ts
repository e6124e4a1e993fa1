import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Db } from "../kernel/context.ts";
import { createMetrics } from "./metrics.ts";

// The process's default metrics (CPU, memory, event loop, GC) are registered once per process, however many
// servers it builds, and hold nothing of a server: prom-client observes GC process-wide and never lets go,
// so default metrics in each server's registry kept every closed server's database alive (about 245 MB for
// an embedded database). metrics.db.test.ts checks the scrape still carries them, once.

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/**
 * Builds and closes `count` servers' metrics, each over a database object that is only held (nothing is
 * scraped), and returns weak references to those objects: the caller's frame holds none of them.
 */
function closedServers(count: number): WeakRef<object>[] {
  const logger = pino({ level: "silent" });
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < count; i++) {
    const db = { name: `database ${i}` };
    createMetrics(db as unknown as Db, logger).close();
    refs.push(new WeakRef(db));
  }
  return refs;
}

describe("createMetrics", () => {
  it("keeps nothing of a closed server's database", async () => {
    const refs = closedServers(3);
    // A WeakRef's target is kept until the job that made it ends.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(refs.map((r) => r.deref())).toEqual([undefined, undefined, undefined]);
  });
});
