import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";
import { claimJobs, claimSlot, markDone } from "./claim-jobs.ts";
import { giveBackJobs } from "./give-back-jobs.ts";
import { Attempt } from "./job-attempt.ts";
import { PermanentJobError } from "./job-errors.ts";
import type { ClaimedJob, JobHandler } from "./job-handler.ts";
import { type RunnableKind, runnableOf } from "./job-kind.ts";
import { JobStatistics } from "./job-statistics.ts";
import type { JobWakeups } from "./job-wakeups.ts";
import { LockKeeper } from "./lock-keeper.ts";
import { recordJobFailure } from "./record-job-failure.ts";
import { withTimeout } from "./with-timeout.ts";

// The outbox runner: it claims jobs, runs their handlers a few at a time and records how each attempt ended.
// What a handler is (job-handler.ts) and throws (job-errors.ts), how a failure is recorded
// (record-job-failure.ts) and when the job table's statistics are refreshed (job-statistics.ts) are beside
// it; their names are exported from here too, where the rest of the program has always imported them.
export { PermanentJobError, RetryLaterError, RetryNotBeforeError } from "./job-errors.ts";
export type { ClaimedJob, JobHandler, JobRun } from "./job-handler.ts";

/**
 * How long a woken runner gathers further wake-ups before it claims. bench/sync (PGlite, 3,000 customers):
 * at once 111 users/s, 2 ms 184/s, 5 ms 214/s, with the idle pickup p50 still 8–9 ms.
 */
const WAKE_GATHER_MS = 5;

export interface StopOptions {
  /**
   * The end of the stop's grace: once it settles, the jobs whose handler still runs are given back (pending,
   * due at once, their attempt still counted: releaseClaims says why) and the stop no longer waits for those
   * handlers. Without it, the stop waits for every handler.
   */
  giveBackAfter?: Promise<void>;
}

export interface JobRunnerOptions {
  db: Kysely<Database>;
  /**
   * What this runner runs, by kind: catalog kinds (catalog.ts, with payload schema, retry policy and timeout),
   * or a bare handler (payload as stored, retried until done, no time limit). Other kinds are never claimed.
   */
  handlers: Record<string, RunnableKind | JobHandler>;
  logger: Logger;
  /** Jobs run at once by this runner. */
  concurrency?: number;
  /** How often the runner looks for due work by itself: retries whose backoff ran out, missed wake-ups. */
  pollMs?: number;
  /** Where it hears of new jobs at once (job-wakeups.ts); without it, a new job waits for the next poll. */
  wakeups?: JobWakeups;
  /** How long a claim lasts unless renewed; a crashed runner's jobs are taken over after it. */
  lockSeconds?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

/**
 * Runs outbox jobs. Claims use FOR UPDATE SKIP LOCKED, so any number of runners (in several tokenbill
 * instances on one PostgreSQL) share the work without taking a job twice; a job is claimable only when no
 * earlier open job has the same ordering key, which keeps each customer's changes in order. A claim is
 * renewed while its job runs. An attempt fails when its handler throws or outlives the kind's timeout;
 * failures are retried with capped exponential backoff until the handler says the failure is permanent or
 * the kind's attempts are used up.
 */
export class JobRunner {
  readonly workerId = `worker_${randomBytes(4).toString("hex")}`;
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private wokenWhileBusy = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** Claimed ahead and held, not yet started: a freed slot starts the next one without waiting for a claim. */
  private readonly ready: ClaimedJob[] = [];
  private readonly locks: LockKeeper;
  private readonly statistics: JobStatistics;
  /** Jobs that succeeded and are not yet marked done: the next claim closes them (claim-jobs.ts). */
  private finished: bigint[] = [];
  private listening: Promise<(() => Promise<void>) | undefined> | undefined;
  /** Claims failed in a row: a database that is down fails every poll, and says so once. */
  private claimFailures = 0;
  /** Each running job's attempt: its way to stop waiting for the handler and to abort its signal (execute). */
  private readonly active = new Map<bigint, Attempt>();
  /** Jobs whose handler was still running when the stop's grace ended: the stop gives them back. */
  private readonly cutShort: ClaimedJob[] = [];
  private graceOver = false;

  constructor(private readonly options: JobRunnerOptions) {
    this.locks = new LockKeeper(options.db, this.workerId, this.lockSeconds, options.logger, (ids) =>
      this.claimsLost(ids),
    );
    this.statistics = new JobStatistics(options.db, options.logger);
  }

  /**
   * Starts claiming. Resolves once the runner hears of new jobs (its wake-ups subscribed); a subscription
   * that fails is logged and the runner polls.
   */
  start(): Promise<void> {
    if (!this.running) {
      this.running = true;
      this.graceOver = false;
      // The id a job's locked_by shows, so an operator can tell which instance holds a job.
      this.options.logger.info(
        {
          worker: this.workerId,
          host: hostname(),
          pid: process.pid,
          kinds: Object.keys(this.options.handlers),
        },
        "job runner started",
      );
      this.loop = this.run();
      this.listening = this.options.wakeups
        ?.subscribe(() => this.wake())
        .catch((error: unknown) => {
          this.options.logger.error(
            { err: error },
            "job wake-ups unavailable; new jobs wait for the next poll",
          );
          return undefined;
        });
    }
    return this.listening?.then(() => undefined) ?? Promise.resolve();
  }

  /**
   * Stops claiming and waits for the running handlers, until `giveBackAfter` (serve's grace) if given. Then
   * it marks the finished jobs done and gives back, in one statement, the jobs claimed ahead and those whose
   * handler still runs. A cut handler's signal is aborted (JobRun.signal) and what it ends with is not
   * recorded (the job is no longer this runner's); one that ignores the signal may go on until the process
   * ends. Logs each job it cut short, and that it holds no jobs.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    this.running = false;
    const unsubscribe = await this.listening;
    this.listening = undefined;
    await unsubscribe?.();
    this.wake();
    await this.loop;
    await this.awaitHandlers(options.giveBackAfter);
    await this.statistics.refreshing;
    try {
      await this.closeFinished();
    } finally {
      await this.giveBack();
    }
  }

  /**
   * Whether the runner is between claims, waiting for a wake-up or its poll (or gathering wake-ups for the next
   * claim). A test waits for it before writing a job that only a wake-up may start.
   */
  get waiting(): boolean {
    return this.wakeUp !== undefined;
  }

  /** Whether this runner keeps the claim of job `id` alive (its LockKeeper renews it). */
  holds(id: bigint): boolean {
    return this.locks.holds(id);
  }

  /** Looks for work now instead of at the next poll; a wake-up while a claim is on its way is kept for after it. */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wokenWhileBusy = true;
  }

  /** Claims and runs one batch; returns how many jobs it ran. Useful in tests and CLI commands. */
  async runOnce(): Promise<number> {
    const jobs = await this.claim(this.options.concurrency ?? 8);
    await Promise.all(jobs.map((job) => this.execute(job)));
    await this.closeFinished();
    return jobs.length;
  }

  /** Runs batches until nothing is claimable (jobs waiting for their backoff do not count). */
  async drain(): Promise<void> {
    while ((await this.runOnce()) > 0) {}
  }

  /**
   * Writes the job of `slot` already claimed by this runner, and runs it now. False when a job with that
   * slot exists: another firing or instance has it. A failed attempt is retried like any job, and a crashed
   * one taken over once its claim expires, by whichever runner handles the kind.
   */
  async runSlot(job: { kind: string; slot: string; payload: unknown }): Promise<boolean> {
    if (!this.options.handlers[job.kind]) throw new Error(`this runner does not run ${job.kind} jobs`);
    // A stopping runner writes no slot: the schedule's next firing (another instance, or this one restarted)
    // does. From the claim on, the stop waits for the job, and gives it back like any other.
    if (!this.running) return false;
    const run = claimSlot(this.options.db, this, job).then(async (claimed) => {
      if (claimed) await this.execute(claimed);
      return claimed !== undefined;
    });
    const tracked = run.then(
      () => {},
      () => {},
    );
    this.inFlight.add(tracked);
    const ran = await run.finally(() => this.inFlight.delete(tracked));
    if (ran) await this.closeFinished();
    return ran;
  }

  get lockSeconds(): number {
    return this.options.lockSeconds ?? 60;
  }

  /**
   * Keeps up to `concurrency` jobs running and as many again claimed ahead: a finished job's slot goes to a
   * job already claimed, while the next claim (which also closes the finished ones) happens beside it. Without
   * that, each slot sat idle for the wake-up gathering and the claim's round trip after every job.
   */
  private async run(): Promise<void> {
    const concurrency = this.options.concurrency ?? 8;
    const depth = concurrency * 2;
    while (this.running) {
      let claimed: ClaimedJob[] = [];
      const claimedAt = performance.now();
      try {
        // Refilled when half the jobs claimed ahead have started, so that a claim takes several at once.
        const room = depth - this.inFlight.size - this.ready.length;
        if (room > 0 && this.ready.length <= concurrency / 2) {
          claimed = await this.claim(room);
          this.noteClaimWorked();
        }
      } catch (error) {
        this.noteClaimFailure(error);
      }
      for (const job of claimed) {
        this.locks.hold(job.id, claimedAt);
        this.ready.push(job);
      }
      this.tellClaimed(claimed);
      this.startReady(concurrency);
      if (claimed.length === 0 || this.inFlight.size + this.ready.length >= depth) await this.idle();
    }
  }

  /** The first failure of a row is an error with its stack; the repeats are counted, logged at debug. */
  private noteClaimFailure(error: unknown): void {
    if (++this.claimFailures === 1) this.options.logger.error({ err: error }, "job claim failed");
    else this.options.logger.debug({ err: error, inARow: this.claimFailures }, "job claim failed again");
  }

  /** After failures, the first claim that works says how many there were. */
  private noteClaimWorked(): void {
    if (this.claimFailures === 0) return;
    this.options.logger.info({ failedInARow: this.claimFailures }, "job claims work again");
    this.claimFailures = 0;
  }

  /** Each kind's `claimed` hook, with that kind's share of a claim. */
  private tellClaimed(jobs: ClaimedJob[]): void {
    const byKind = new Map<string, ClaimedJob[]>();
    for (const job of jobs) {
      const ofKind = byKind.get(job.kind);
      if (ofKind) ofKind.push(job);
      else byKind.set(job.kind, [job]);
    }
    for (const [kind, ofKind] of byKind) {
      try {
        runnableOf(this.options.handlers[kind])?.claimed?.(ofKind);
      } catch (error) {
        this.options.logger.warn(
          { err: error, kind },
          "a job kind's look-ahead failed; its jobs run without it",
        );
      }
    }
  }

  /** Starts claimed jobs while slots are free; not once the runner is stopping (stop releases them). */
  private startReady(concurrency: number): void {
    while (this.running && this.inFlight.size < concurrency && this.ready.length > 0) {
      const job = this.ready.shift()!;
      const p = this.execute(job).finally(() => {
        this.inFlight.delete(p);
        this.startReady(concurrency);
        this.wake();
      });
      this.inFlight.add(p);
    }
  }

  /**
   * Waits for the running handlers; once `giveBackAfter` settles, stops waiting for those still running
   * (cut short, given back by giveBack). A loop, as a schedule's firing may start a job meanwhile (runSlot).
   */
  private async awaitHandlers(giveBackAfter: Promise<void> | undefined): Promise<void> {
    const graceOver =
      giveBackAfter?.then(
        () => true,
        () => true,
      ) ?? new Promise<boolean>(() => {});
    while (this.inFlight.size > 0) {
      const ended = Promise.all(this.inFlight).then(() => false);
      if (!(await Promise.race([ended, graceOver]))) continue;
      this.graceOver = true;
      for (const attempt of this.active.values()) attempt.end("cut");
      await Promise.all(this.inFlight);
    }
  }

  /** Gives back the jobs claimed ahead and those cut short (giveBackJobs); says when it holds none (stop). */
  private async giveBack(): Promise<void> {
    const unstarted = this.ready.splice(0);
    for (const job of unstarted) this.locks.release(job.id);
    const cut = this.cutShort.splice(0);
    const given = await giveBackJobs(this.options.db, this, this.options.logger, { unstarted, cut });
    // Finished jobs that could not be marked done (stop rethrows why) are still held, until their claims run out.
    if (!given || this.finished.length > 0) return;
    this.options.logger.info(
      { worker: this.workerId, cutShort: cut.length, unstarted: unstarted.length },
      "job runner stopped; it holds no jobs",
    );
  }

  private idle(): Promise<void> {
    // Woken during the claim: the job that woke us may have committed after the claim's snapshot.
    if (this.wokenWhileBusy) {
      this.wokenWhileBusy = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.options.pollMs ?? 250);
      // A wake-up claims a moment later, not at once: the jobs written and finished in that moment are
      // claimed (and marked done) by one statement instead of one each.
      this.wakeUp = () => {
        this.wakeUp = () => {};
        setTimeout(done, WAKE_GATHER_MS);
      };
    });
  }

  /**
   * Claims only kinds this runner handles: others (sync jobs while SolusIO is not configured) wait. The jobs
   * finished since the last claim are marked done by the same statement.
   */
  private async claim(limit: number): Promise<ClaimedJob[]> {
    const done = this.takeFinished();
    let claimed: ClaimedJob[];
    try {
      claimed = await claimJobs(this.options.db, this, Object.keys(this.options.handlers), limit, done);
    } catch (error) {
      this.finished.push(...done);
      throw error;
    }
    this.statistics.noteClaim(claimed.length, limit);
    for (const job of claimed) this.claimedAgain(job.id);
    return claimed;
  }

  /**
   * A job this runner still runs came back in a claim: its claim ran out (renewals failed, say while the
   * database was away) and the job was claimed anew. The new claim is the job's now: the earlier attempt is
   * no longer waited for and its signal is aborted, and its outcome is never recorded, as it would overwrite
   * the new attempt's (mark the job done while it runs, or pending). A success not yet marked done is
   * dropped too: the new attempt runs the job again, which every handler must bear anyway.
   */
  private claimedAgain(id: bigint): void {
    const earlier = this.active.get(id);
    if (earlier) {
      // Forgotten here, so that its end leaves the claim's renewal to the new attempt.
      this.active.delete(id);
      earlier.end("superseded");
    }
    if (this.finished.includes(id)) this.finished = this.finished.filter((f) => f !== id);
  }

  /** Marks the finished jobs done without claiming (runOnce, runSlot and stop end with nothing open). */
  private async closeFinished(): Promise<void> {
    const done = this.takeFinished();
    try {
      await markDone(this.options.db, this, done);
    } catch (error) {
      this.finished.push(...done);
      throw error;
    }
  }

  private takeFinished(): bigint[] {
    const done = this.finished;
    this.finished = [];
    return done;
  }

  private async execute(job: ClaimedJob): Promise<void> {
    const kind = runnableOf(this.options.handlers[job.kind]);
    const attempt = new Attempt();
    this.active.set(job.id, attempt);
    this.locks.hold(job.id);
    try {
      // Claimed by a schedule's firing after the stop's grace ended (runSlot): given back unstarted.
      if (this.graceOver) {
        this.cutShort.push(job);
        return;
      }
      if (!kind) throw new PermanentJobError(`no handler for job kind ${job.kind}`);
      const started = kind.prepare(job)({ signal: attempt.signal });
      const work =
        kind.timeoutMs === undefined
          ? started
          : withTimeout(started, kind.timeoutMs, `job ${job.id} (${job.kind})`);
      const ended = await attempt.race(work);
      if (ended === "cut") this.cutShort.push(job);
      else if (ended === "superseded") this.noteSuperseded(job);
      else if (ended === "lost") this.noteLost(job);
      else this.finished.push(job.id);
    } catch (error) {
      const { db, logger, backoffBaseMs, backoffCapMs } = this.options;
      await recordJobFailure(
        { db, logger, workerId: this.workerId, backoffBaseMs, backoffCapMs },
        job,
        kind?.retry ?? {},
        error,
      );
    } finally {
      // From here on nobody waits for the handler: it is told to stop (JobRun.signal).
      attempt.abort();
      // A later claim of the same job by this runner has its own attempt, and holds the claim itself.
      if (this.active.get(job.id) === attempt) {
        this.active.delete(job.id);
        this.locks.release(job.id);
      }
    }
  }

  /**
   * Claims the LockKeeper could not keep (lock-keeper.ts): a job claimed ahead is not started, a running one's
   * attempt is told to stop (JobRun.signal) and its outcome is not recorded. The job is another runner's now,
   * or will be any runner's once the claim runs out.
   */
  private claimsLost(ids: bigint[]): void {
    for (const id of ids) {
      const ahead = this.ready.findIndex((job) => job.id === id);
      if (ahead >= 0) {
        const [job] = this.ready.splice(ahead, 1);
        this.options.logger.warn(
          { job: String(id), kind: job?.kind, worker: this.workerId },
          "job claimed ahead lost its claim before it started; left to the runner that claims it next",
        );
      } else this.active.get(id)?.end("lost");
    }
  }

  private noteLost(job: ClaimedJob): void {
    this.options.logger.warn(
      { job: String(job.id), kind: job.kind, attempt: job.attempts, worker: this.workerId },
      "job's claim lost while its handler ran (another runner may run it now); the attempt was stopped and its outcome is not recorded",
    );
  }

  private noteSuperseded(job: ClaimedJob): void {
    this.options.logger.warn(
      { job: String(job.id), kind: job.kind, attempt: job.attempts, worker: this.workerId },
      "job claimed again after its claim ran out; the earlier attempt's outcome is not recorded",
    );
  }
}
