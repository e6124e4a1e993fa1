import { sql } from "kysely";
import type { Logger } from "pino";
import { Gauge, type Registry } from "prom-client";
import { JOB_PAYLOADS } from "../jobs/job-payloads.ts";
import type { Db } from "../kernel/context.ts";
import { sharedScrapeQuery } from "./scrape-query.ts";

interface QueueRow {
  kind: string;
  status: string;
  jobs: number;
  oldest_seconds: number;
}

/** The kinds tokenbill writes (a row of another kind, a test's, still shows, without a zero before it). */
const KNOWN_KINDS = Object.keys(JOB_PAYLOADS);
const OPEN_STATUSES = ["pending", "running"] as const;

/**
 * Every row the job gauges show, in one statement: open jobs (pending, running) by kind and status with the
 * age of the oldest, over the open-jobs partial index (job_open), and failed jobs by kind, over the
 * failed-jobs partial index (job_failed, migration 025). Its cost follows the queue and the failures, not the
 * table, which keeps done jobs for RETENTION_JOBS_DAYS.
 */
export async function readJobQueue(db: Db): Promise<QueueRow[]> {
  return (
    await sql<QueueRow>`
      SELECT kind, status, count(*)::int AS jobs,
             greatest(0, extract(epoch FROM now() - min(created_at)))::float8 AS oldest_seconds
      FROM job WHERE status IN ('pending', 'running') GROUP BY kind, status
      UNION ALL
      SELECT kind, 'failed', count(*)::int, 0::float8 FROM job WHERE status = 'failed' GROUP BY kind`.execute(
      db,
    )
  ).rows;
}

/**
 * Open jobs (pending, running) by kind and status, how long the oldest of each has been in the queue, and the
 * jobs that failed for good by kind, read at scrape time in one statement (readJobQueue) shared by the three
 * gauges. Database-wide figures: every instance reports the same (take max, not sum).
 *
 * Every kind tokenbill writes has its series from the first scrape, at 0 while it has no such job (an
 * alert on `> 100` or `> 0` then works from the start, and a rate over them has no gaps); the age is 0 then too.
 * When the database cannot be read, the gauges have no series at all for that scrape, so an empty queue
 * and an unknown one never look alike (`absent(tokenbill_job_queue_depth)` finds the second).
 */
export function jobQueueGauges(registry: Registry, db: Db, logger: Logger): void {
  const read = sharedScrapeQuery(() => readJobQueue(db), logger, "the job queue");
  const openRows = async () => (await read())?.filter((row) => row.status !== "failed");
  new Gauge({
    name: "tokenbill_job_queue_depth",
    help: "Jobs not yet done, by kind and status (pending, running); database-wide",
    labelNames: ["kind", "status"] as const,
    registers: [registry],
    async collect() {
      const rows = await openRows();
      this.reset();
      if (rows === undefined) return;
      for (const kind of KNOWN_KINDS) for (const status of OPEN_STATUSES) this.set({ kind, status }, 0);
      for (const row of rows) this.set({ kind: row.kind, status: row.status }, Number(row.jobs));
    },
  });
  new Gauge({
    name: "tokenbill_job_queue_oldest_age_seconds",
    help: "Age of the oldest job not yet done (pending or running), by kind; database-wide",
    labelNames: ["kind"] as const,
    registers: [registry],
    async collect() {
      const rows = await openRows();
      this.reset();
      if (rows === undefined) return;
      const oldest = new Map<string, number>(KNOWN_KINDS.map((kind) => [kind, 0]));
      for (const row of rows)
        oldest.set(row.kind, Math.max(oldest.get(row.kind) ?? 0, Number(row.oldest_seconds)));
      for (const [kind, seconds] of oldest) this.set({ kind }, seconds);
    },
  });
  // Nothing retries a failed job by itself: what it was to do (delete a SolusIO user, send an invoice) stays
  // undone until someone retries it in the console (/console/jobs).
  new Gauge({
    name: "tokenbill_jobs_failed",
    help: "Jobs that failed for good (permanently, or out of attempts) and wait for a person, by kind; database-wide",
    labelNames: ["kind"] as const,
    registers: [registry],
    async collect() {
      const rows = await read();
      this.reset();
      if (rows === undefined) return;
      for (const kind of KNOWN_KINDS) this.set({ kind }, 0);
      for (const row of rows) if (row.status === "failed") this.set({ kind: row.kind }, Number(row.jobs));
    },
  });
}
