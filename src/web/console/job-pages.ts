import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type FailedJob, listFailedJobs } from "../../services/jobs/failed-jobs.ts";
import { retryFailedJob } from "../../services/jobs/retry-failed-job.ts";
import { walkPagerOf, walkQuery } from "../list-walk.ts";
import { staffPage, when } from "../page-kit.ts";
import type { FieldErrors } from "../render.ts";
import type { WebDeps } from "../web-deps.ts";
import { noticeFrom, param, STAFF } from "./page-helpers.ts";
import { listActionFailureOf } from "../form-failure.ts";

// The jobs that failed for good, latest failure first, 50 a page, each with Retry (admin and owner). Nothing
// retries them by itself; tokenbill_jobs_failed counts them for an alert (docs/metrics.md).

const JOB_NOTICES: Record<string, string> = {
  retried: "The job is queued again; it leaves this list, and comes back if it fails again.",
};

/** The page of what a job's subject names, when the console has one: a customer or an invoice. */
function subjectLink(job: FailedJob): string | undefined {
  const [kind, id] = (job.subject ?? "").split(":", 2);
  if (!id || !/^[\w-]+$/.test(id)) return undefined; // a deleted customer's subject says more, and has no page
  if (kind === "customer") return `/console/customers/${id}`;
  if (kind === "invoice") return `/console/invoices/${id}`;
  return undefined;
}

export function registerJobPages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  const listPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    errors: FieldErrors = {},
    status = 200,
  ) => {
    const page = await listFailedJobs({ ctx: deps.contextOf(request), input: walkQuery(request) });
    return staffPage(
      deps,
      request,
      reply,
      "console-jobs",
      {
        title: "Failed jobs",
        jobs: page.data.map((job) => ({ ...job, when: when(job.failed_at), href: subjectLink(job) })),
        pager: walkPagerOf(request, page.meta),
        notice: noticeFrom(request, JOB_NOTICES),
        errors,
      },
      status,
    );
  };

  app.get("/console/jobs", STAFF, (request, reply) => listPage(request, reply));

  // A refusal (the job is no longer failed, a later job of its subject is queued) is shown above the list.
  app.post("/console/jobs/:id/retry", { ...STAFF, ...csrf }, async (request, reply) => {
    try {
      await retryFailedJob({ ctx: deps.contextOf(request), input: { id: param(request, "id") } });
    } catch (error) {
      const failure = listActionFailureOf(error);
      if (!failure) throw error;
      return listPage(request, reply, failure.errors, failure.status);
    }
    return reply.redirect("/console/jobs?notice=retried", 303);
  });
}
