import { z } from "zod";
import { IdParams } from "../../kernel/schemas.ts";
import { FailedJob, FailedJobQuery, listFailedJobs } from "../../services/jobs/failed-jobs.ts";
import { retryFailedJob } from "../../services/jobs/retry-failed-job.ts";
import { defineRoute } from "../route.ts";

// The jobs that failed for good and wait for a person (the console's /console/jobs).
export const jobRoutes = [
  defineRoute({
    method: "GET",
    url: "/api/v1/jobs/failed",
    tag: "jobs",
    summary: "Jobs that failed for good (permanently, or out of attempts), the latest failure first",
    query: FailedJobQuery,
    response: z.array(FailedJob),
    paged: "cursor",
    handler: ({ ctx, query }) => listFailedJobs({ ctx, input: query }),
  }),
  defineRoute({
    method: "POST",
    url: "/api/v1/jobs/{id}/retry",
    tag: "jobs",
    summary: "Queue a failed job again, with its attempts anew",
    description:
      "The job runs again as things are then (its handler reads what the job is about when it runs). 409 when " +
      "the job is not failed, or when a later job with the same ordering key is still queued or running.",
    params: IdParams,
    status: 204,
    handler: ({ ctx, params }) => retryFailedJob({ ctx, input: params }),
  }),
];
