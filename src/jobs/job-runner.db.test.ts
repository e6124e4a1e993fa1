import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { waitUntil } from "../../test/helpers/wait-until.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { enqueueRawJob } from "./enqueue-job.ts";
import { type ClaimedJob, JobRunner, PermanentJobError, RetryLaterError } from "./job-runner.ts";

let handle: DatabaseHandle;
const logger = pino({ level: "silent" });

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

describe("job runner", () => {
  it("names its worker id (what a held job's locked_by shows) at start, with host and pid, and in failure lines", async () => {
    const lines: Record<string, unknown>[] = [];
    const id = await enqueueRawJob(handle.db, { kind: "named.fails", payload: {} });
    const runner = new JobRunner({
      db: handle.db,
      logger: pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
      handlers: {
        "named.fails": async () => {
          throw new PermanentJobError("no");
        },
      },
    });
    await runner.start();
    await expect.poll(() => lines.some((l) => l["job"] === String(id))).toBe(true);
    await runner.stop();
    expect(lines.find((l) => l["msg"] === "job runner started")).toMatchObject({
      worker: runner.workerId,
      pid: process.pid,
      kinds: ["named.fails"],
    });
    expect(lines.find((l) => l["job"] === String(id))).toMatchObject({ worker: runner.workerId });
  });

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
    await expect.poll(() => seen.length).toBe(200);
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

  it("records a failure whose message holds a NUL (text from SolusIO or Stripe): the job does not stay running", async () => {
    // PostgreSQL refuses a NUL in text: the failure's update failed, the job stayed running under its claim,
    // and was claimed and failed again for good, holding back every later job of its ordering key.
    const runner = new JobRunner({
      db: handle.db,
      logger,
      handlers: {
        hostile: async () => {
          throw new PermanentJobError("SolusIO: 422 bad\u0000name\u001b[31m");
        },
      },
    });
    const id = await enqueueRawJob(handle.db, { kind: "hostile", payload: {} });
    expect(await runner.runOnce()).toBe(1);
    const row = await handle.db
      .selectFrom("job")
      .select(["status", "last_error", "locked_until"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      status: "failed",
      last_error: "SolusIO: 422 bad\uFFFDname\uFFFD[31m",
      locked_until: null,
    });
  });

  it("defers a job that says when it can be done, keeping why, and logs it as deferred, not failed", async () => {
    const lines: { level: number; msg: string; retryInMs?: number }[] = [];
    const runner = new JobRunner({
      db: handle.db,
      logger: pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
      backoffBaseMs: 1,
      backoffCapMs: 5,
      handlers: {
        later: async () => {
          throw new RetryLaterError("not before the run in progress ends", 90_000);
        },
      },
    });
    const id = await enqueueRawJob(handle.db, { kind: "later", payload: {} });
    const before = Date.now();
    expect(await runner.runOnce()).toBe(1);
    const row = await handle.db
      .selectFrom("job")
      .select(["status", "attempts", "last_error", "run_after"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    // Waiting is not an attempt: the claim's attempt is given back.
    expect([row.status, row.attempts, row.last_error]).toEqual([
      "pending",
      0,
      "not before the run in progress ends",
    ]);
    // Its own delay, not the runner's backoff of a few milliseconds.
    expect(row.run_after.getTime()).toBeGreaterThanOrEqual(before + 90_000);
    expect(row.run_after.getTime()).toBeLessThan(Date.now() + 90_000 + 1_000);
    expect(await runner.runOnce()).toBe(0);
    expect(lines.map((line) => [line.level, line.msg, line.retryInMs])).toEqual([
      [30, "job deferred", 90_000],
    ]);
  });

  it("does not count a deferral as an attempt: a kind with one attempt is deferred again and again, then runs", async () => {
    let calls = 0;
    const runner = new JobRunner({
      db: handle.db,
      logger,
      handlers: {
        // One attempt, as the scheduled kinds have (job-catalog.ts): a failure would end it.
        patient: {
          retry: { maxAttempts: 1 },
          prepare: () => async () => {
            calls++;
            if (calls <= 2) throw new RetryLaterError("waiting for something else", 0);
          },
        },
      },
    });
    const id = await enqueueRawJob(handle.db, { kind: "patient", payload: {} });
    const row = () =>
      handle.db
        .selectFrom("job")
        .select(["status", "attempts", "last_error"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
    for (const expected of [1, 2]) {
      expect(await runner.runOnce()).toBe(1);
      expect(calls).toBe(expected);
      expect(await row()).toEqual({
        status: "pending",
        attempts: 0,
        last_error: "waiting for something else",
      });
    }
    expect(await runner.runOnce()).toBe(1);
    expect(calls).toBe(3);
    expect(await row()).toMatchObject({ status: "done", attempts: 1 });
  });

  it("claims as many jobs again as it runs, tells the kind of them at once, and gives back the unstarted ones at stop", async () => {
    const ids: bigint[] = [];
    for (let i = 0; i < 5; i++) ids.push(await enqueueRawJob(handle.db, { kind: "slow", payload: { i } }));
    const release: (() => void)[] = [];
    const started: number[] = [];
    const toldOfClaims: number[][] = [];
    const slow = Object.assign(
      async (job: ClaimedJob) => {
        started.push((job.payload as { i: number }).i);
        await new Promise<void>((r) => release.push(r));
      },
      { claimed: (jobs: ClaimedJob[]) => toldOfClaims.push(jobs.map((j) => (j.payload as { i: number }).i)) },
    );
    const runner = new JobRunner({ db: handle.db, logger, concurrency: 2, pollMs: 5, handlers: { slow } });
    await runner.start();
    await expect.poll(() => started.length, { interval: 5 }).toBe(2);
    // Two running, two claimed ahead and held; the fifth waits in the table.
    const statuses = async () =>
      (
        await handle.db
          .selectFrom("job")
          .select(["status", "attempts"])
          .where("id", "in", ids)
          .orderBy("id")
          .execute()
      ).map((r) => [r.status, r.attempts]);
    await expect.poll(statuses, { interval: 10 }).toEqual([
      ["running", 1],
      ["running", 1],
      ["running", 1],
      ["running", 1],
      ["pending", 0],
    ]);
    expect(toldOfClaims[0]).toEqual([0, 1, 2, 3]);
    // A freed slot starts a job claimed ahead at once.
    release.shift()!();
    await expect.poll(() => started, { interval: 5 }).toEqual([0, 1, 2]);
    // The stop waits for the running handlers: each is let finish, whenever it started, until the stop is
    // over (until 2026-12-07 released at once and again 20 ms later, which a late start would have outlived).
    const stopping = runner.stop();
    let stopped = false;
    stopping.then(
      () => (stopped = true),
      () => (stopped = true),
    );
    await waitUntil("the runner to stop", () => {
      for (const r of release.splice(0)) r();
      return stopped;
    });
    await stopping;
    const after = await statuses();
    // 0, 1 and 2 ran; whatever was claimed ahead and never started is pending again with no attempt counted.
    expect(after.slice(0, 3)).toEqual([
      ["done", 1],
      ["done", 1],
      ["done", 1],
    ]);
    for (const [i, row] of after.entries()) {
      if (started.includes(i)) expect(row).toEqual(["done", 1]);
      else expect(row).toEqual(["pending", 0]);
    }
    expect(started.length).toBeLessThan(5);
  });
});
