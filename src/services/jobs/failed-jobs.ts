import { type Selectable, sql } from "kysely";
import { z } from "zod";
import type { JobTable } from "../../db/schema.ts";
import { SyncCustomerPayload } from "../../jobs/job-payloads.ts";
import {
  assertPageOrCursor,
  countIfAsked,
  cursorKeyId,
  cursorKeyInstant,
  cursorParam,
  instantKeyOf,
  type KeysetPage,
  keysetPageOf,
  readCursor,
  totalParam,
} from "../../kernel/list-cursor.ts";
import { offsetOf, PageQuery } from "../../kernel/pagination.ts";
import { idOut } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { storedErrorWords } from "../setup/stored-error-words.ts";
import { READ_ROLES, requireStaffRole, seesWhereSystemsAre } from "../staff/staff-roles.ts";

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

/** The list's name in its cursors: another list's cursor is refused. */
const LIST = "failed_jobs";

export const FailedJobQuery = PageQuery.extend({ cursor: cursorParam, total: totalParam });

/** The list's sort key as a cursor holds it: the last failure to the microsecond, then the job id. */
const FailedJobKey = z.tuple([cursorKeyInstant, cursorKeyId]);

/**
 * Failed jobs, the latest failure first, through the job_failed index (migration 025: updated_at DESC, id DESC
 * of failed jobs only). Paged by `page`, or walked by `cursor` (meta.next_cursor), which starts below the last
 * job shown in that index, so a provider's pile of failed jobs costs the same a page however deep; until
 * 2026-12-07 the list paged by OFFSET only, reading every failed job before the page.
 */
export const listFailedJobs = defineVerb(
  FailedJobQuery,
  async ({ ctx, input }): Promise<KeysetPage<FailedJob>> => {
    const seesWhere = seesWhereSystemsAre(ctx, await requireStaffRole(ctx, ...READ_ROLES));
    assertPageOrCursor(input);
    const after = input.cursor === undefined ? undefined : readCursor(LIST, {}, FailedJobKey, input.cursor);
    const failed = ctx.db.selectFrom("job").where("status", "=", "failed");
    let page = failed
      .select(FAILED_JOB_COLUMNS)
      .select(instantKeyOf("updated_at").as("updated_at_key"))
      .orderBy("updated_at", "desc")
      .orderBy("id", "desc")
      .limit(input.per_page + 1);
    page = after
      ? page.where(sql<boolean>`(updated_at, id) < (${after[0]}::timestamptz, ${BigInt(after[1])})`)
      : page.offset(offsetOf(input));
    const [rows, count] = await Promise.all([page.execute(), countIfAsked(input, failed)]);
    const shown = keysetPageOf(rows, count, input, {
      list: LIST,
      filters: {},
      keyOf: (r) => [r.updated_at_key, String(r.id)],
    });
    // Below admin with addresses hidden (a failed call names where SolusIO or an SMTP server is).
    const data = shown.rows.map((r) =>
      presentFailedJob({ ...r, last_error: storedErrorWords(r.last_error, seesWhere) }),
    );
    return { data, meta: shown.meta };
  },
);
