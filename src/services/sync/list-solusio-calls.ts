import { z } from "zod";
import { type Page, PageQuery, fetchPage } from "../../kernel/pagination.ts";
import { idOut } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";

export const SolusioCallQuery = PageQuery.extend({
  failed: z
    .enum(["true", "false"])
    .optional()
    .meta({ description: "only failed (or only successful) calls" }),
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

/** Every call made to SolusIO, newest first; bodies were masked before they were stored. */
export const listSolusioCalls = defineVerb(
  SolusioCallQuery,
  async ({ ctx, input }): Promise<Page<SolusioCallEntry>> => {
    let q = ctx.db.selectFrom("solusio_call");
    if (input.failed === "true") q = q.where("error", "is not", null);
    if (input.failed === "false") q = q.where("error", "is", null);
    return fetchPage(
      q,
      input,
      (f) => f.selectAll().orderBy("id", "desc"),
      (r) => ({
        id: idOut(r.id),
        at: r.at.toISOString(),
        method: r.method,
        path: r.path,
        status: r.status,
        duration_ms: r.duration_ms,
        attempt: r.attempt,
        request_body: r.request_body ?? null,
        error: r.error,
      }),
    );
  },
);
