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
 * Open jobs (pending, running) by kind and status, and how long the oldest of each has been in the queue,
 * read at scrape time in one grouped query over the open-jobs partial index (job_open): its cost follows
 * the queue, not the table. Database-wide figures: every instance reports the same (take max, not sum).
 *
 * Every kind tokenbill writes has its series from the first scrape, at 0 while it has no open job (an
 * alert on `> 100` then works from the start, and a rate over them has no gaps); the age is 0 then too.
 * When the database cannot be read, the gauges have no series at all for that scrape, so an empty queue
 * and an unknown one never look alike (`absent(tokenbill_job_queue_depth)` finds the second).
 */
export function jobQueueGauges(registry: Registry, db: Db, logger: Logger): void {
  const read = sharedScrapeQuery(
    async () =>
      (
        await sql<QueueRow>`
          SELECT kind, status, count(*)::int AS jobs,
                 greatest(0, extract(epoch FROM now() - min(created_at)))::float8 AS oldest_seconds
          FROM job WHERE status IN ('pending', 'running') GROUP BY kind, status`.execute(db)
      ).rows,
    logger,
    "the job queue",
  );
  new Gauge({
    name: "tokenbill_job_queue_depth",
    help: "Jobs not yet done, by kind and status (pending, running); database-wide",
    labelNames: ["kind", "status"] as const,
    registers: [registry],
    async collect() {
      const rows = await read();
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
      const rows = await read();
      this.reset();
      if (rows === undefined) return;
      const oldest = new Map<string, number>(KNOWN_KINDS.map((kind) => [kind, 0]));
      for (const row of rows)
        oldest.set(row.kind, Math.max(oldest.get(row.kind) ?? 0, Number(row.oldest_seconds)));
      for (const [kind, seconds] of oldest) this.set({ kind }, seconds);
    },
  });
}
