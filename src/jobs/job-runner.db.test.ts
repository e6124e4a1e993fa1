import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { enqueueRawJob } from "./enqueue-job.ts";
import { type ClaimedJob, JobRunner, PermanentJobError } from "./job-runner.ts";

let handle: DatabaseHandle;
const logger = pino({ level: "silent" });

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

describe("job runner", () => {
  it("lets several runners share the outbox without running a job twice, keeping each key in order", async () => {
    for (let i = 0; i < 200; i++) {
      await enqueueRawJob(handle.db, { kind: "record", orderingKey: `key:${i % 10}`, payload: { i } });
    }
    const seen: { i: number; key: string; runner: number }[] = [];
    const active = new Set<string>();
    let overlap = false;
    const runners = [0, 1, 2].map(
      (n) =>
        new JobRunner({
          db: handle.db,
          logger,
          concurrency: 4,
          pollMs: 5,
          handlers: {
            record: async (job: ClaimedJob) => {
              const key = job.orderingKey!;
              if (active.has(key)) overlap = true;
              active.add(key);
              await new Promise((r) => setTimeout(r, 1));
              seen.push({ i: (job.payload as { i: number }).i, key, runner: n });
              active.delete(key);
            },
          },
        }),
    );
    for (const r of runners) r.start();
    await expect.poll(() => seen.length, { timeout: 30_000, interval: 20 }).toBe(200);
    await Promise.all(runners.map((r) => r.stop()));
    expect(new Set(seen.map((s) => s.i)).size).toBe(200);
    expect(overlap).toBe(false);
    for (let k = 0; k < 10; k++) {
      const order = seen.filter((s) => s.key === `key:${k}`).map((s) => s.i);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it("retries failures with backoff and stops at a permanent one", async () => {
    let calls = 0;
    const runner = new JobRunner({
      db: handle.db,
      logger,
      backoffBaseMs: 1,
      backoffCapMs: 5,
      handlers: {
        flaky: async () => {
          calls++;
          if (calls < 3) throw new Error("upstream down");
        },
        broken: async () => {
          throw new PermanentJobError("bad input");
        },
      },
    });
    const flaky = await enqueueRawJob(handle.db, { kind: "flaky", payload: {} });
    const broken = await enqueueRawJob(handle.db, { kind: "broken", payload: {} });
    const unknown = await enqueueRawJob(handle.db, { kind: "nobody-handles-this", payload: {} });
    for (let i = 0; i < 50 && calls < 3; i++) {
      await runner.runOnce();
      await new Promise((r) => setTimeout(r, 10));
    }
    const rows = await handle.db
      .selectFrom("job")
      .select(["id", "status", "attempts", "last_error"])
      .where("id", "in", [flaky, broken, unknown])
      .orderBy("id")
      .execute();
    // A kind this runner has no handler for is never claimed: it waits for a runner that can run it.
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([
      ["done", 3],
      ["failed", 1],
      ["pending", 0],
    ]);
    expect(rows[1]!.last_error).toBe("bad input");
  });
});
