import { type KyselyPlugin, sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { enqueueRawJob } from "./enqueue-job.ts";
import { type ClaimedJob, JobRunner, type JobRun } from "./job-runner.ts";

// A runner whose claim on a job ran out while the job's handler still ran (its renewals did not reach the
// database) must stop that attempt: another runner runs the job meanwhile, and then the customer's next job,
// after which the stale attempt's SolusIO calls would write an older state over the newer one.

let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

type LogLine = { level: number; msg: string } & Record<string, unknown>;

function recordingLogger(lines: LogLine[]) {
  return pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
}

/** An attempt the test ends: its handler waits for `end`. */
interface HeldAttempt {
  attempts: number;
  run: JobRun | undefined;
  end: () => void;
}

function heldHandler(into: HeldAttempt[]) {
  return async (job: ClaimedJob, run?: JobRun) => {
    await new Promise<void>((end) => into.push({ attempts: job.attempts, run, end }));
  };
}

async function jobRow(id: bigint) {
  return handle.db
    .selectFrom("job")
    .select(["status", "attempts", "locked_by"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

/** Every statement of the Kysely it is plugged into fails while `down`: this runner's database is away. */
function outage() {
  const state = { down: false };
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      if (state.down) throw new Error("connection to the database lost");
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { state, plugin };
}

describe("a runner whose claim on a running job is lost", () => {
  it("stops the attempt when a renewal finds the job taken over by another runner, and records nothing of it", async () => {
    const kind = "lost.taken_over";
    const id = await enqueueRawJob(handle.db, { kind, payload: {} });
    const lines: LogLine[] = [];
    const held: HeldAttempt[] = [];
    const away = outage();
    const a = new JobRunner({
      db: handle.db.withPlugin(away.plugin),
      logger: recordingLogger(lines),
      pollMs: 5,
      // Renewed every 3⅓ s, given up after 5 s unconfirmed: the takeover below, while A's database is away,
      // takes far less, so A learns of it from a renewal that finds the job another runner's.
      lockSeconds: 10,
      handlers: { [kind]: heldHandler(held) },
    });
    await a.start();
    await expect.poll(() => held.length, { interval: 5 }).toBe(1);
    // A's renewals did not reach the database until the claim ran out (an outage of its connection only),
    // and runner B took the job over and completed it. Without the outage, a renewal of A's landing between
    // the claim's expiry and B's claim extended it, and B found nothing to claim.
    away.state.down = true;
    await handle.db
      .updateTable("job")
      .set({ locked_until: sql<Date>`now() - interval '1 second'` })
      .where("id", "=", id)
      .execute();
    const seen: number[] = [];
    const b = new JobRunner({
      db: handle.db,
      logger: pino({ level: "silent" }),
      handlers: { [kind]: async (job: ClaimedJob) => void seen.push(job.attempts) },
    });
    expect(await b.runOnce()).toBe(1);
    expect(seen).toEqual([2]);
    expect(await jobRow(id)).toEqual({ status: "done", attempts: 2, locked_by: b.workerId });
    away.state.down = false;
    // A's next renewal finds the job no longer A's: its attempt is told to stop before its next outside call.
    await expect.poll(() => held[0]!.run?.signal.aborted, { timeout: 15_000 }).toBe(true);
    expect(a.holds(id)).toBe(false);
    const warned = lines.filter((l) => l.level === 40 && l["job"] === String(id));
    expect(warned.map((l) => l.msg)).toEqual([
      "job's claim lost while its handler ran (another runner may run it now); the attempt was stopped and its outcome is not recorded",
    ]);
    held[0]!.end();
    await a.stop();
    expect(await jobRow(id)).toEqual({ status: "done", attempts: 2, locked_by: b.workerId });
  });

  it("stops the attempt once its renewals have failed for half the claim, before any runner may take it over", async () => {
    const kind = "lost.renewals_fail";
    const id = await enqueueRawJob(handle.db, { kind, payload: {} });
    const lines: LogLine[] = [];
    const held: HeldAttempt[] = [];
    const away = outage();
    const a = new JobRunner({
      db: handle.db.withPlugin(away.plugin),
      logger: recordingLogger(lines),
      pollMs: 5,
      backoffBaseMs: 1,
      lockSeconds: 2,
      handlers: { [kind]: heldHandler(held) },
    });
    await a.start();
    await expect.poll(() => held.length, { interval: 5 }).toBe(1);
    away.state.down = true;
    // Two renewals fail (about 1.3 s): the claim may run out before the third, so the attempt stops now.
    await expect.poll(() => held[0]!.run?.signal.aborted).toBe(true);
    expect(held[0]!.attempts).toBe(1);
    expect(lines.filter((l) => l.level === 40 && l["job"] === String(id)).map((l) => l.msg)).toEqual([
      "job's claim lost while its handler ran (another runner may run it now); the attempt was stopped and its outcome is not recorded",
    ]);
    held[0]!.end();
    // Back: the job, still running under A's claim that ran out, is claimed again as its next attempt.
    away.state.down = false;
    await expect.poll(() => held.length).toBe(2);
    expect(held[1]!.attempts).toBe(2);
    expect(held[1]!.run?.signal.aborted).toBe(false);
    held[1]!.end();
    await expect.poll(async () => (await jobRow(id)).status).toBe("done");
    await a.stop();
  });
});
