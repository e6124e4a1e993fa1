import { randomBytes } from "node:crypto";
import { type Kysely, sql } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";

export interface ClaimedJob {
  id: bigint;
  kind: string;
  orderingKey: string | null;
  payload: unknown;
  attempts: number;
}

export type JobHandler = (job: ClaimedJob) => Promise<void>;

/** Throw this (or any error with `retryable: false`) to stop retrying a job: it is marked failed. */
export class PermanentJobError extends Error {
  readonly retryable = false;
}

export interface JobRunnerOptions {
  db: Kysely<Database>;
  handlers: Record<string, JobHandler>;
  logger: Logger;
  /** Jobs run at once by this runner. */
  concurrency?: number;
  pollMs?: number;
  /** How long a claim lasts; a crashed runner's jobs are taken over after it. */
  lockSeconds?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

/**
 * Runs outbox jobs. Claims use FOR UPDATE SKIP LOCKED, so any number of runners (in several tokenbill
 * instances on one PostgreSQL) share the work without taking a job twice; a job is claimable only when no
 * earlier open job has the same ordering key, which keeps each customer's changes in order. Failures are
 * retried with capped exponential backoff until a handler says the failure is permanent.
 */
export class JobRunner {
  readonly workerId = `worker_${randomBytes(4).toString("hex")}`;
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: JobRunnerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.all(this.inFlight);
  }

  /** Looks for work now instead of at the next poll (after a local enqueue, say). */
  wake(): void {
    this.wakeUp?.();
  }

  /** Claims and runs one batch; returns how many jobs it ran. Useful in tests and CLI commands. */
  async runOnce(): Promise<number> {
    const jobs = await this.claim(this.options.concurrency ?? 8);
    await Promise.all(jobs.map((job) => this.execute(job)));
    return jobs.length;
  }

  /** Runs batches until nothing is claimable (jobs waiting for their backoff do not count). */
  async drain(): Promise<void> {
    while ((await this.runOnce()) > 0) {}
  }

  private async run(): Promise<void> {
    const concurrency = this.options.concurrency ?? 8;
    while (this.running) {
      let claimed: ClaimedJob[] = [];
      try {
        const free = concurrency - this.inFlight.size;
        if (free > 0) claimed = await this.claim(free);
      } catch (error) {
        this.options.logger.error({ err: error }, "job claim failed");
      }
      for (const job of claimed) {
        const p = this.execute(job).finally(() => {
          this.inFlight.delete(p);
          this.wake();
        });
        this.inFlight.add(p);
      }
      if (claimed.length === 0 || this.inFlight.size >= concurrency) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.pollMs ?? 250);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  /** Claims only kinds this runner handles: others (sync jobs while SolusIO is not configured) wait. */
  private async claim(limit: number): Promise<ClaimedJob[]> {
    if (Object.keys(this.options.handlers).length === 0) return [];
    const lockSeconds = this.options.lockSeconds ?? 60;
    const result = await sql<{
      id: bigint;
      kind: string;
      ordering_key: string | null;
      payload: unknown;
      attempts: number;
    }>`
      UPDATE job
         SET status = 'running', attempts = attempts + 1, locked_by = ${this.workerId},
             locked_until = now() + make_interval(secs => ${lockSeconds}), updated_at = now()
       WHERE id IN (
         SELECT j.id FROM job j
          WHERE j.kind IN (${sql.join(Object.keys(this.options.handlers))})
            AND ((j.status = 'pending' AND j.run_after <= now())
                 OR (j.status = 'running' AND j.locked_until < now()))
            AND (j.ordering_key IS NULL OR NOT EXISTS (
                  SELECT 1 FROM job e
                   WHERE e.ordering_key = j.ordering_key AND e.id < j.id AND e.status IN ('pending', 'running')))
          ORDER BY j.id
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
      RETURNING id, kind, ordering_key, payload, attempts`.execute(this.options.db);
    return result.rows
      .map((r) => ({
        id: r.id,
        kind: r.kind,
        orderingKey: r.ordering_key,
        payload: r.payload,
        attempts: r.attempts,
      }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  private async execute(job: ClaimedJob): Promise<void> {
    const handler = this.options.handlers[job.kind];
    const db = this.options.db;
    try {
      if (!handler) throw new PermanentJobError(`no handler for job kind ${job.kind}`);
      await handler(job);
      await db
        .updateTable("job")
        .set({ status: "done", locked_until: null, last_error: null, updated_at: new Date() })
        .where("id", "=", job.id)
        .where("locked_by", "=", this.workerId)
        .execute();
    } catch (error) {
      const message = (error as Error)?.message ?? String(error);
      const permanent = (error as { retryable?: unknown })?.retryable === false;
      const delay = this.backoff(job.attempts);
      await db
        .updateTable("job")
        .set({
          status: permanent ? "failed" : "pending",
          locked_until: null,
          last_error: message.slice(0, 2000),
          run_after: new Date(Date.now() + (permanent ? 0 : delay)),
          updated_at: new Date(),
        })
        .where("id", "=", job.id)
        .where("locked_by", "=", this.workerId)
        .execute()
        .catch((e) =>
          this.options.logger.error({ err: e, job: String(job.id) }, "could not record job failure"),
        );
      this.options.logger[permanent ? "error" : "warn"](
        {
          job: String(job.id),
          kind: job.kind,
          attempts: job.attempts,
          retryInMs: permanent ? null : delay,
          error: message,
        },
        permanent ? "job failed permanently" : "job failed; will retry",
      );
    }
  }

  private backoff(attempts: number): number {
    const base = this.options.backoffBaseMs ?? 1_000;
    const cap = this.options.backoffCapMs ?? 60_000;
    return Math.min(cap, base * 2 ** Math.max(0, attempts - 1));
  }
}
