import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import type { JobStatus } from "../db/schema.ts";
import { claimJobs, markDone, releaseClaims } from "./claim-jobs.ts";
import { enqueueRawJob } from "./enqueue-job.ts";
import { type ClaimedJob, JobRunner, type JobRun, PermanentJobError } from "./job-runner.ts";

// A graceful stop whose grace ends while handlers still run (a SolusIO call that hangs) gives their jobs
// back at once instead of leaving them `running` until their claims run out. The grace is a promise the
// test settles: no test here waits for a clock.

let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

type LogLine = { level: number; msg: string } & Record<string, unknown>;

function recordingLogger(lines: LogLine[]) {
  return pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
}

/** A promise and its settlers, for a handler that ends when the test says so (or never). */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every callback already due run (promise reactions included) before the test looks. */
const settled = () => new Promise((r) => setImmediate(r));

async function rowsOf(ids: readonly bigint[]) {
  const rows = await handle.db
    .selectFrom("job")
    .select([
      "id",
      "status",
      "attempts",
      "locked_by",
      "locked_until",
      sql<boolean>`run_after <= now()`.as("due"),
    ])
    .where("id", "in", ids)
    .orderBy("id")
    .execute();
  return rows.map(({ id: _id, ...row }) => row);
}

describe("a graceful stop whose grace ends", () => {
  it("gives back the jobs whose handler still runs, due at once with their attempt kept, and another runner completes them as the next attempt", async () => {
    const hangs = await enqueueRawJob(handle.db, { kind: "stop.hangs", payload: {} });
    const lines: LogLine[] = [];
    const started: bigint[] = [];
    const a = new JobRunner({
      db: handle.db,
      logger: recordingLogger(lines),
      pollMs: 5,
      handlers: {
        // A SolusIO call that never answers.
        "stop.hangs": async (job: ClaimedJob) => {
          started.push(job.id);
          await new Promise(() => {});
        },
      },
    });
    await a.start();
    await expect.poll(() => started, { interval: 5 }).toEqual([hangs]);
    expect(await rowsOf([hangs])).toMatchObject([{ status: "running", attempts: 1, locked_by: a.workerId }]);
    const grace = deferred();
    const stopping = a.stop({ giveBackAfter: grace.promise });
    grace.resolve();
    await stopping;
    // The attempt stays counted: the handler ran, and may have done part of its work (claim-jobs.ts).
    expect(await rowsOf([hangs])).toEqual([
      { status: "pending", attempts: 1, locked_by: null, locked_until: null, due: true },
    ]);
    // The LockKeeper no longer renews the claim it gave back.
    expect(a.holds(hangs)).toBe(false);
    const given = lines.filter((l) => l.level === 40 && l["job"] === String(hangs));
    expect(given).toHaveLength(1);
    expect(given[0]).toMatchObject({ kind: "stop.hangs", attempt: 1, worker: a.workerId });

    // Another instance takes it at once, as its second attempt: a handler that trusts a first attempt to be
    // the first (sync-customer.ts creates a SolusIO user without looking) looks first now.
    const seen: number[] = [];
    const b = new JobRunner({
      db: handle.db,
      logger: pino({ level: "silent" }),
      handlers: { "stop.hangs": async (job: ClaimedJob) => void seen.push(job.attempts) },
    });
    expect(await b.runOnce()).toBe(1);
    expect(seen).toEqual([2]);
    expect(await rowsOf([hangs])).toMatchObject([{ status: "done", attempts: 2, locked_by: b.workerId }]);
  });

  it("leaves alone what its late handlers end with, and the jobs that ended before the give-back", async () => {
    const early = await enqueueRawJob(handle.db, { kind: "late.quick", payload: {} });
    const fails = await enqueueRawJob(handle.db, { kind: "late.fails", payload: {} });
    const succeeds = await enqueueRawJob(handle.db, { kind: "late.hangs", payload: { late: "succeeds" } });
    const throws = await enqueueRawJob(handle.db, { kind: "late.hangs", payload: { late: "throws" } });
    const inGrace = await enqueueRawJob(handle.db, { kind: "late.in_grace", payload: {} });
    const ids = [early, fails, succeeds, throws, inGrace];
    const handlersOfA = new Map<bigint, ReturnType<typeof deferred>>();
    const quickDone: bigint[] = [];
    const a = new JobRunner({
      db: handle.db,
      logger: pino({ level: "silent" }),
      pollMs: 5,
      backoffBaseMs: 1,
      handlers: {
        "late.quick": async (job: ClaimedJob) => void quickDone.push(job.id),
        "late.fails": async () => {
          throw new PermanentJobError("refused");
        },
        "late.hangs": async (job: ClaimedJob) => {
          const d = deferred();
          handlersOfA.set(job.id, d);
          await d.promise;
        },
        "late.in_grace": async (job: ClaimedJob) => {
          const d = deferred();
          handlersOfA.set(job.id, d);
          await d.promise;
        },
      },
    });
    await a.start();
    await expect.poll(() => handlersOfA.size, { interval: 5 }).toBe(3);
    // Done and failed for good before the stop: closed in the table while the runner still claims.
    await expect
      .poll(async () => (await rowsOf([early, fails])).map((r) => r.status), { interval: 5 })
      .toEqual(["done", "failed"]);
    const grace = deferred();
    const stopping = a.stop({ giveBackAfter: grace.promise });
    // Ends within the grace: a success not yet written to the table when the grace ends, closed by the stop.
    handlersOfA.get(inGrace)!.resolve();
    await settled();
    grace.resolve();
    await stopping;
    expect(await rowsOf(ids)).toEqual([
      { status: "done", attempts: 1, locked_by: a.workerId, locked_until: null, due: true },
      { status: "failed", attempts: 1, locked_by: a.workerId, locked_until: null, due: true },
      { status: "pending", attempts: 1, locked_by: null, locked_until: null, due: true },
      { status: "pending", attempts: 1, locked_by: null, locked_until: null, due: true },
      { status: "done", attempts: 1, locked_by: a.workerId, locked_until: null, due: true },
    ]);

    // Runner b claims both given-back jobs; while its handlers run, a's cut handlers end, one well, one badly.
    const handlersOfB: ReturnType<typeof deferred>[] = [];
    const b = new JobRunner({
      db: handle.db,
      logger: pino({ level: "silent" }),
      backoffBaseMs: 1,
      handlers: {
        "late.hangs": async () => {
          const d = deferred();
          handlersOfB.push(d);
          await d.promise;
        },
      },
    });
    const bRuns = b.runOnce();
    await expect.poll(() => handlersOfB.length, { interval: 5 }).toBe(2);
    handlersOfA.get(succeeds)!.resolve();
    handlersOfA.get(throws)!.reject(new Error("SolusIO answered at last: 500"));
    await settled();
    const underB = { status: "running", attempts: 2, locked_by: b.workerId };
    expect(await rowsOf([succeeds, throws])).toMatchObject([underB, underB]);
    // Were a's late success written, the guard on locked_by would leave b's claim alone too.
    await markDone(handle.db, a, [succeeds, throws]);
    expect(await rowsOf([succeeds, throws])).toMatchObject([underB, underB]);
    for (const d of handlersOfB) d.resolve();
    expect(await bRuns).toBe(2);
    expect(await rowsOf([succeeds, throws])).toMatchObject([
      { status: "done", attempts: 2, locked_by: b.workerId },
      { status: "done", attempts: 2, locked_by: b.workerId },
    ]);
    expect(quickDone).toEqual([early]);
  });

  it("aborts the signal of each handler it cut short, so the handler can stop before its next outside call", async () => {
    const id = await enqueueRawJob(handle.db, { kind: "stop.listens", payload: {} });
    const started: bigint[] = [];
    const stoppedBecause: string[] = [];
    const runner = new JobRunner({
      db: handle.db,
      logger: pino({ level: "silent" }),
      pollMs: 5,
      handlers: {
        "stop.listens": async (job: ClaimedJob, run?: JobRun) => {
          started.push(job.id);
          await new Promise<void>((resolve) => run!.signal.addEventListener("abort", () => resolve()));
          stoppedBecause.push((run!.signal.reason as Error).message);
        },
      },
    });
    await runner.start();
    await expect.poll(() => started, { interval: 5 }).toEqual([id]);
    await runner.stop({ giveBackAfter: Promise.resolve() });
    await settled();
    expect(stoppedBecause).toEqual(["the stop's grace ended: the job was given back"]);
    expect(await rowsOf([id])).toMatchObject([{ status: "pending", attempts: 1, locked_by: null }]);
  });

  it("gives back a schedule's job (runSlot) whose handler still runs, so the firing waiting for it ends; a stopped runner writes no slot", async () => {
    const started: bigint[] = [];
    const runner = new JobRunner({
      db: handle.db,
      logger: pino({ level: "silent" }),
      pollMs: 5,
      handlers: {
        "slot.hangs": async (job: ClaimedJob) => {
          started.push(job.id);
          await new Promise(() => {});
        },
      },
    });
    await runner.start();
    const firing = runner.runSlot({ kind: "slot.hangs", slot: "slot.hangs:1", payload: {} });
    await expect.poll(() => started.length, { interval: 5 }).toBe(1);
    await runner.stop({ giveBackAfter: Promise.resolve() });
    // The clock's stop waits for this firing (schedule-clock.ts): it ends with the give-back.
    expect(await firing).toBe(true);
    expect(await rowsOf(started)).toEqual([
      { status: "pending", attempts: 1, locked_by: null, locked_until: null, due: true },
    ]);
    expect(await runner.runSlot({ kind: "slot.hangs", slot: "slot.hangs:2", payload: {} })).toBe(false);
    const slots = await handle.db.selectFrom("job").select("slot").where("kind", "=", "slot.hangs").execute();
    expect(slots).toEqual([{ slot: "slot.hangs:1" }]);
  });

  it("logs at info that it stopped holding no jobs, with its worker id, when nothing was left running", async () => {
    const lines: LogLine[] = [];
    const id = await enqueueRawJob(handle.db, { kind: "calm.job", payload: {} });
    const runner = new JobRunner({
      db: handle.db,
      logger: recordingLogger(lines),
      pollMs: 5,
      handlers: { "calm.job": async () => {} },
    });
    await runner.start();
    await expect.poll(async () => (await rowsOf([id]))[0]?.status, { interval: 5 }).toBe("done");
    await runner.stop({ giveBackAfter: new Promise(() => {}) });
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(lines.at(-1)).toMatchObject({
      level: 30,
      msg: "job runner stopped; it holds no jobs",
      worker: runner.workerId,
      cutShort: 0,
    });
  });
});

describe("giving claims back", () => {
  it("takes back the attempt of a job never started (never below zero), keeps a cut job's, and reopens no job done, failed or held by another runner", async () => {
    const by = { workerId: "worker_gives", lockSeconds: 60 };
    const insert = (row: { status: JobStatus; attempts: number; locked_by: string }) =>
      handle.db
        .insertInto("job")
        .values({
          kind: "give.back",
          payload: "{}",
          locked_until: sql<Date>`now() + interval '1 minute'`,
          ...row,
        })
        .returning("id")
        .executeTakeFirstOrThrow()
        .then((r) => r.id);
    const ids = [
      // No claim counts 0 attempts; were one written, the CHECK on attempts must not fail the whole give-back.
      await insert({ status: "running", attempts: 0, locked_by: by.workerId }),
      await insert({ status: "running", attempts: 2, locked_by: by.workerId }),
      // Cut short while its handler ran: pending again, its attempt still counted.
      await insert({ status: "running", attempts: 1, locked_by: by.workerId }),
      await insert({ status: "done", attempts: 1, locked_by: by.workerId }),
      await insert({ status: "failed", attempts: 3, locked_by: by.workerId }),
      await insert({ status: "running", attempts: 1, locked_by: "worker_other" }),
    ];
    const [zero, two, cut, ...rest] = ids;
    await releaseClaims(handle.db, by, { unstarted: [zero!, two!, ...rest], cut: [cut!] });
    expect((await rowsOf(ids)).map((r) => [r.status, r.attempts, r.locked_by])).toEqual([
      ["pending", 0, null],
      ["pending", 1, null],
      ["pending", 1, null],
      ["done", 1, by.workerId],
      ["failed", 3, by.workerId],
      ["running", 1, "worker_other"],
    ]);
  });
});

describe("closing a claim", () => {
  it("marks done only jobs still running under it: one failed and waiting for its retry stays pending", async () => {
    const by = { workerId: "worker_closes", lockSeconds: 60 };
    const insert = (status: JobStatus) =>
      handle.db
        .insertInto("job")
        .values({ kind: "close.claim", payload: "{}", status, attempts: 1, locked_by: by.workerId })
        .returning("id")
        .executeTakeFirstOrThrow()
        .then((r) => r.id);
    // A failure recorded keeps locked_by: only the status says the claim has ended.
    const ids = [await insert("running"), await insert("pending"), await insert("failed")];
    await markDone(handle.db, by, ids);
    expect((await rowsOf(ids)).map((r) => r.status)).toEqual(["done", "pending", "failed"]);
    // The same rule when a claim closes them (a busy runner's way).
    const again = [await insert("running"), await insert("pending"), await insert("failed")];
    expect(await claimJobs(handle.db, by, ["close.nothing_to_claim"], 1, again)).toEqual([]);
    expect((await rowsOf(again)).map((r) => r.status)).toEqual(["done", "pending", "failed"]);
  });
});

describe("a job this runner claims again after its claim ran out", () => {
  for (const late of ["fails", "succeeds"] as const) {
    it(`leaves the new attempt's claim alone when the earlier attempt ${late} late, and aborts the earlier one's signal`, async () => {
      const id = await enqueueRawJob(handle.db, { kind: `again.${late}`, payload: {} });
      const attempts: { attempts: number; run: JobRun | undefined; end: ReturnType<typeof deferred> }[] = [];
      const runner = new JobRunner({
        db: handle.db,
        logger: pino({ level: "silent" }),
        pollMs: 5,
        backoffBaseMs: 1,
        handlers: {
          [`again.${late}`]: async (job: ClaimedJob, run?: JobRun) => {
            const end = deferred();
            attempts.push({ attempts: job.attempts, run, end });
            await end.promise;
          },
        },
      });
      await runner.start();
      await expect.poll(() => attempts.length, { interval: 5 }).toBe(1);
      // Its renewals did not reach the database (an outage) until the claim ran out: the runner claims it anew.
      await handle.db
        .updateTable("job")
        .set({ locked_until: sql<Date>`now() - interval '1 second'` })
        .where("id", "=", id)
        .execute();
      await expect.poll(() => attempts.length, { interval: 5 }).toBe(2);
      expect(attempts.map((a) => a.attempts)).toEqual([1, 2]);
      // The first attempt ends now; the runner goes on claiming (and would close a finished job) meanwhile.
      if (late === "fails") attempts[0]!.end.reject(new Error("SolusIO answered at last: 500"));
      else attempts[0]!.end.resolve();
      await settled();
      await runner.runOnce();
      expect(await rowsOf([id])).toMatchObject([
        { status: "running", attempts: 2, locked_by: runner.workerId },
      ]);
      // Not reopened and run a third time beside the second (a late failure recorded over the new claim did).
      expect(attempts).toHaveLength(2);
      expect(runner.holds(id)).toBe(true);
      // The earlier attempt was told to stop when the job was claimed again; the new one was not.
      expect(attempts.map((a) => a.run?.signal.aborted)).toEqual([true, false]);
      attempts[1]!.end.resolve();
      await expect.poll(async () => (await rowsOf([id]))[0]?.status, { interval: 5 }).toBe("done");
      await runner.stop();
      expect(await rowsOf([id])).toMatchObject([{ status: "done", attempts: 2 }]);
    });
  }
});
