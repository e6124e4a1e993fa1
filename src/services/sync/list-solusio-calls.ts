import { z } from "zod";
import { cursorParam, type KeysetPage, totalParam } from "../../kernel/list-cursor.ts";
import { newestByIdPage } from "../../kernel/newest-by-id-page.ts";
import { PageQuery } from "../../kernel/pagination.ts";
import { idOut, wholeNumber } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { storedErrorWords } from "../setup/stored-error-words.ts";
import { READ_ROLES, requireStaffRole, seesWhereSystemsAre } from "../staff/staff-roles.ts";

export const SolusioCallQuery = PageQuery.extend({
  cursor: cursorParam,
  total: totalParam,
  failed: z
    .enum(["true", "false"])
    .optional()
    .meta({ description: "only failed (or only successful) calls" }),
  status: wholeNumber({ min: 100n, max: 599n, message: "must be an HTTP status from 100 to 599" })
    .transform(Number)
    .meta({ type: "integer", minimum: 100, maximum: 599 })
    .optional()
    .meta({ description: "only calls SolusIO answered with this HTTP status" }),
});

export const SolusioCallEntry = z.object({
  id: z.number().int(),
  at: z.string(),
  method: z.string(),
  path: z.string(),
  status: z.number().int().nullable(),
  duration_ms: z.number().int(),
  attempt: z.number().int(),
  request_body: z.unknown(),
  error: z.string().nullable(),
});
export type SolusioCallEntry = z.output<typeof SolusioCallEntry>;

/**
 * Every call made to SolusIO, newest first; bodies were masked before they were stored. Paged by `page`, or
 * walked by `cursor` (meta.next_cursor): a cursor page starts below its call's id through the primary key (or
 * solusio_call_failed, solusio_call_status (status, id)); until 2026-12-07 the log paged by OFFSET only.
 */
export const listSolusioCalls = defineVerb(
  SolusioCallQuery,
  async ({ ctx, input }): Promise<KeysetPage<SolusioCallEntry>> => {
    const seesWhere = seesWhereSystemsAre(ctx, await requireStaffRole(ctx, ...READ_ROLES));
    const filters = { failed: input.failed, status: input.status };
    let q = ctx.db.selectFrom("solusio_call");
    if (input.failed === "true") q = q.where("error", "is not", null);
    if (input.failed === "false") q = q.where("error", "is", null);
    if (input.status !== undefined) q = q.where("status", "=", input.status);
    const shown = await newestByIdPage(input, { name: "solusio_calls", filters }, q, (f) => f.selectAll());
    return {
      data: shown.rows.map((r) => ({
        id: idOut(r.id),
        at: r.at.toISOString(),
        method: r.method,
        path: r.path,
        status: r.status,
        duration_ms: r.duration_ms,
        attempt: r.attempt,
        request_body: r.request_body ?? null,
        // Below admin with addresses hidden: a refused call's error names SolusIO's host and port.
        error: storedErrorWords(r.error, seesWhere),
      })),
      meta: shown.meta,
    };
  },
);
