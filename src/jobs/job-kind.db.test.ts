import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { enqueue, enqueueRawJob } from "./enqueue-job.ts";
import { runnableKind } from "./job-kind.ts";
import { JobRunner } from "./job-runner.ts";

// What a catalog kind adds to a bare handler: its payload is parsed first, an attempt has a time limit,
// attempts can be limited; and enqueue checks payloads before writing them.

let handle: DatabaseHandle;
const logger = pino({ level: "silent" });

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

function jobRow(id: bigint) {
  return handle.db
    .selectFrom("job")
    .select(["status", "attempts", "last_error"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

/** Claims and runs until the job's status is `status`. */
async function runUntil(runner: JobRunner, id: bigint, status: string) {
  await expect
    .poll(async () => {
      await runner.runOnce();
      return (await jobRow(id)).status;
    })
    .toBe(status);
}

describe("catalog kinds in the runner", () => {
  it("parses the payload before the handler runs, and fails a job whose payload does not parse at once", async () => {
    const squares: number[] = [];
    const square = runnableKind(
      { payload: z.object({ n: z.number().int() }), retry: {}, timeoutMs: 60_000 },
      async (job) => {
        squares.push(job.payload.n * job.payload.n);
      },
    );
    const runner = new JobRunner({ db: handle.db, logger, handlers: { "test.square": square } });
    const good = await enqueueRawJob(handle.db, { kind: "test.square", payload: { n: 3 } });
    const bad = await enqueueRawJob(handle.db, { kind: "test.square", payload: { n: "3" } });
    await runner.drain();
    expect(squares).toEqual([9]);
    expect(await jobRow(good)).toEqual({ status: "done", attempts: 1, last_error: null });
    expect(await jobRow(bad)).toEqual({
      status: "failed",
      attempts: 1,
      last_error: `job ${bad} (test.square) has an invalid payload: n: must be a number`,
    });
  });

  it("fails an attempt that outlives the kind's timeout, and retries it", async () => {
    let calls = 0;
    const slowOnce = runnableKind({ payload: z.object({}), retry: {}, timeoutMs: 50 }, async () => {
      calls++;
      // The first attempt never finishes; the second finishes at once.
      if (calls === 1) await new Promise(() => {});
    });
    const runner = new JobRunner({
      db: handle.db,
      logger,
      backoffBaseMs: 1,
      backoffCapMs: 1,
      handlers: { "test.slow": slowOnce },
    });
    const id = await enqueueRawJob(handle.db, { kind: "test.slow", payload: {} });
    await runner.runOnce();
    expect(await jobRow(id)).toEqual({
      status: "pending",
      attempts: 1,
      last_error: `job ${id} (test.slow) did not finish within 50 ms`,
    });
    await runUntil(runner, id, "done");
    expect(await jobRow(id)).toEqual({ status: "done", attempts: 2, last_error: null });
  });

  it("gives a job up once the kind's attempts are used", async () => {
    const down = runnableKind(
      { payload: z.object({}), retry: { maxAttempts: 2 }, timeoutMs: 60_000 },
      async () => {
        throw new Error("upstream down");
      },
    );
    const runner = new JobRunner({
      db: handle.db,
      logger,
      backoffBaseMs: 1,
      backoffCapMs: 1,
      handlers: { "test.down": down },
    });
    const id = await enqueueRawJob(handle.db, { kind: "test.down", payload: {} });
    await runUntil(runner, id, "failed");
    expect(await jobRow(id)).toEqual({
      status: "failed",
      attempts: 2,
      last_error: "upstream down (gave up after 2 attempts)",
    });
  });

  it("keeps the claim of a job that runs longer than its lock, so no other runner takes it over", async () => {
    let started = false;
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const owner = new JobRunner({
      db: handle.db,
      logger,
      lockSeconds: 2,
      handlers: {
        "test.long": async () => {
          started = true;
          await finished;
        },
      },
    });
    const other = new JobRunner({
      db: handle.db,
      logger,
      lockSeconds: 2,
      handlers: { "test.long": async () => {} },
    });
    const id = await enqueueRawJob(handle.db, { kind: "test.long", payload: {} });
    const running = owner.runOnce();
    await expect.poll(() => started).toBe(true);
    const claim = await handle.db
      .selectFrom("job")
      .select("locked_until")
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    // By the database's clock, wait until the first claim would have run out.
    await expect
      .poll(
        async () => {
          const { rows } = await sql<{ out: boolean }>`select now() > ${claim.locked_until} as out`.execute(
            handle.db,
          );
          return rows[0]!.out;
        },
        { interval: 100 },
      )
      .toBe(true);
    expect(await other.runOnce()).toBe(0);
    finish();
    await running;
    expect(await jobRow(id)).toEqual({ status: "done", attempts: 1, last_error: null });
  });
});

describe("enqueue", () => {
  it("writes a payload only when it fits its kind's schema", async () => {
    const id = await enqueue(handle.db, "invoice.event", {
      invoice_id: "inv_0000000000000001",
      event: "invoice.paid",
      at: "2026-11-10T12:00:00.000Z",
    });
    expect(typeof id).toBe("bigint");
    // @ts-expect-error: an invoice event says what happened and when; the compiler refuses it too.
    const incomplete = enqueue(handle.db, "invoice.event", { invoice_id: "inv_0000000000000001" });
    await expect(incomplete).rejects.toThrow("invalid invoice.event job payload: event: is required");
    const when = enqueue(handle.db, "invoice.event", {
      invoice_id: "inv_0000000000000001",
      event: "invoice.paid",
      at: "yesterday",
    });
    await expect(when).rejects.toThrow(
      "invalid invoice.event job payload: at: must be a date and time in ISO 8601",
    );
  });

  it("writes a slot's job once", async () => {
    const payload = { period: "2026-10" };
    const first = await enqueue(handle.db, "billing.scheduled_run", payload, { slot: "test:enqueue" });
    const second = await enqueue(handle.db, "billing.scheduled_run", payload, { slot: "test:enqueue" });
    expect([typeof first, second]).toEqual(["bigint", undefined]);
  });
});
