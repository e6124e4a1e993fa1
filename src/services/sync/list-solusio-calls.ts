import { z } from "zod";
import {
  assertPageOrCursor,
  countIfAsked,
  cursorKeyId,
  cursorParam,
  type KeysetPage,
  keysetPageOf,
  readCursor,
  totalParam,
} from "../../kernel/list-cursor.ts";
import { offsetOf, PageQuery } from "../../kernel/pagination.ts";
import { idOut, wholeNumber } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

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
    await requireStaffRole(ctx, ...READ_ROLES);
    assertPageOrCursor(input);
    const filters = { failed: input.failed, status: input.status };
    const after =
      input.cursor === undefined
        ? undefined
        : readCursor("solusio_calls", filters, z.tuple([cursorKeyId]), input.cursor);
    let q = ctx.db.selectFrom("solusio_call");
    if (input.failed === "true") q = q.where("error", "is not", null);
    if (input.failed === "false") q = q.where("error", "is", null);
    if (input.status !== undefined) q = q.where("status", "=", input.status);
    let page = q
      .selectAll()
      .orderBy("id", "desc")
      .limit(input.per_page + 1);
    page = after ? page.where("id", "<", BigInt(after[0])) : page.offset(offsetOf(input));
    const [rows, count] = await Promise.all([page.execute(), countIfAsked(input, q)]);
    const shown = keysetPageOf(rows, count, input, {
      list: "solusio_calls",
      filters,
      keyOf: (r) => [String(r.id)],
    });
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
        error: r.error,
      })),
      meta: shown.meta,
    };
  },
);
