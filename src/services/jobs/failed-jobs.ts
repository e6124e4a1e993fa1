import type { Selectable } from "kysely";
import { z } from "zod";
import type { JobTable } from "../../db/schema.ts";
import { SyncCustomerPayload } from "../../jobs/job-payloads.ts";
import { fetchPage, type Page, PageQuery } from "../../kernel/pagination.ts";
import { idOut } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

// The jobs that failed for good: permanently (the handler said retrying cannot help) or out of attempts.
// Nothing retries them by itself, so until someone looks, what they were to do is not done: a SolusIO user
// left undeleted, an invoice e-mail not sent. The console lists them; the metrics count them by kind.

export const FailedJob = z.object({
  id: z.number().int(),
  kind: z.string(),
  subject: z.string().nullable().meta({
    description:
      "what the job was about: its ordering key (customer:12, invoice:inv_…) or slot (billing:2026-10); a deleted customer's sync names the SolusIO user it was to delete",
  }),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  failed_at: z.string().meta({ description: "when its last attempt failed" }),
  created_at: z.string(),
});
export type FailedJob = z.output<typeof FailedJob>;

type FailedJobRow = Pick<
  Selectable<JobTable>,
  | "id"
  | "kind"
  | "ordering_key"
  | "slot"
  | "payload"
  | "attempts"
  | "last_error"
  | "updated_at"
  | "created_at"
>;

/** The job's subject as a person reads it; a customer's deletion says which SolusIO user was to go. */
function subjectOf(row: FailedJobRow): string | null {
  const subject = row.ordering_key ?? row.slot;
  if (row.kind !== "solusio.sync_customer") return subject;
  const deleted = SyncCustomerPayload.safeParse(row.payload).data?.deleted;
  if (!deleted) return subject;
  const user =
    deleted.solusioUserId === null ? "no stored SolusIO user" : `SolusIO user ${deleted.solusioUserId}`;
  return `${subject ?? "customer"} (deleted; ${user}, ${deleted.email})`;
}

export function presentFailedJob(row: FailedJobRow): FailedJob {
  return {
    id: idOut(row.id),
    kind: row.kind,
    subject: subjectOf(row),
    attempts: row.attempts,
    last_error: row.last_error,
    failed_at: row.updated_at.toISOString(),
    created_at: row.created_at.toISOString(),
  };
}

/** What presentFailedJob reads of a job. */
export const FAILED_JOB_COLUMNS = [
  "id",
  "kind",
  "ordering_key",
  "slot",
  "payload",
  "attempts",
  "last_error",
  "updated_at",
  "created_at",
] as const;

/** Failed jobs, the latest failure first (the job_failed index, migration 025). */
export const listFailedJobs = defineVerb(PageQuery, async ({ ctx, input }): Promise<Page<FailedJob>> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  const failed = ctx.db.selectFrom("job").where("status", "=", "failed");
  return fetchPage(
    failed,
    input,
    (q) => q.select(FAILED_JOB_COLUMNS).orderBy("updated_at", "desc").orderBy("id", "desc"),
    presentFailedJob,
  );
});
