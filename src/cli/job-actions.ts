import type { ServiceContext } from "../kernel/context.ts";
import { jsonText } from "../kernel/json.ts";
import { IdParams } from "../kernel/schemas.ts";
import { zodToServiceError } from "../kernel/verb.ts";
import { type FailedJob, listFailedJobs } from "../services/jobs/failed-jobs.ts";
import { retryFailedJob } from "../services/jobs/retry-failed-job.ts";
import { LimitOption, type ListPrinting, type PageSource, printList } from "./list-walk.ts";
import { type OutputSink, streamSink } from "./streamed-output.ts";
import { withSystemContext } from "./with-context.ts";

// What `tokenbill jobs …` does when one of its commands runs (job-commands.ts has the commands and their words):
// the verbs of GET /api/v1/jobs/failed and POST /api/v1/jobs/{id}/retry, with the CLI's actor (full authority,
// as it runs where the database is). The list is walked by cursor to its end, a page at a time (list-walk.ts).

/** The failed jobs, latest failure first, read without counting (a count reads every failed job again). */
export function failedJobPages(ctx: ServiceContext): PageSource<FailedJob> {
  return async (perPage, cursor) => {
    const page = await listFailedJobs({
      ctx,
      input: { per_page: perPage, total: "false", ...(cursor === undefined ? {} : { cursor }) },
    });
    return { data: page.data, next_cursor: page.meta.next_cursor };
  };
}

/** How long a last error may be in the table's one line; --json gives it whole. */
const ERROR_CELL = 120;

/** A stored text on one line of a table cell, cut at `max` characters. */
export function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const TABLE: Pick<ListPrinting<FailedJob>, "headers" | "rightAligned" | "row"> = {
  headers: ["Id", "Kind", "Subject", "Attempts", "Failed at", "Last error"],
  rightAligned: [true, false, false, true],
  row: (job) => [
    String(job.id),
    job.kind,
    job.subject ?? "",
    String(job.attempts),
    job.failed_at,
    oneLine(job.last_error ?? "", ERROR_CELL),
  ],
};

/** The failed jobs written to `sink`, as the table or (json) the list document; answers the walk's count. */
export function printFailedJobs(
  source: PageSource<FailedJob>,
  sink: OutputSink,
  options: { json: boolean; limit?: number | undefined; pageSize?: number },
): Promise<{ count: number; more: boolean }> {
  return printList(source, sink, { ...TABLE, ...options });
}

/** `jobs failed`. */
export async function failedAction(opts: { limit?: string; json?: boolean }): Promise<void> {
  const limit = opts.limit === undefined ? undefined : LimitOption.safeParse(opts.limit);
  if (limit && !limit.success) throw zodToServiceError(limit.error, "limit");
  await withSystemContext(async (ctx) => {
    const json = opts.json === true;
    const { count, more } = await printFailedJobs(failedJobPages(ctx), streamSink(), {
      json,
      limit: limit?.data,
    });
    if (json) return;
    if (more) process.stderr.write(`the latest ${count} shown; more failed (raise --limit)\n`);
    else if (count === 0) process.stderr.write("no job has failed\n");
  });
}

/** `jobs retry <id>`. */
export async function retryAction(id: string, opts: { json?: boolean }): Promise<void> {
  // The verb's own check, before the database is opened: `jobs retry abc` opened nothing to be refused.
  const parsed = IdParams.safeParse({ id });
  if (!parsed.success) throw zodToServiceError(parsed.error);
  await withSystemContext(async (ctx) => {
    await retryFailedJob({ ctx, input: parsed.data });
    const jobId = Number(parsed.data.id);
    if (opts.json) process.stdout.write(`${jsonText({ id: jobId, status: "pending" }, 2)}\n`);
    else process.stdout.write(`job ${jobId} queued again; serve's job runner runs it\n`);
  });
}
