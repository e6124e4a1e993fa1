import { type SelectQueryBuilder, sql } from "kysely";
import { z } from "zod";
import {
  assertPageOrCursor,
  countIfAsked,
  cursorKeyId,
  type KeysetPage,
  type KeysetQuery,
  keysetPageOf,
  readCursor,
} from "./list-cursor.ts";
import { offsetOf } from "./pagination.ts";

const IdKey = z.tuple([cursorKeyId]);

/**
 * One page of a log listed newest first by its bigint `id` alone (the audit log, the SolusIO call log): by
 * `page`, or by `cursor`, which starts below the last id shown through the primary key or a filter's (…, id)
 * index. `filtered` holds the list's filters; `select` adds the columns the caller presents. The count runs
 * beside the page, only when asked (countIfAsked).
 */
export async function newestByIdPage<DB, TB extends keyof DB, R extends { id: bigint | string }>(
  input: KeysetQuery,
  list: { name: string; filters: Record<string, unknown> },
  filtered: SelectQueryBuilder<DB, TB, object>,
  select: (q: SelectQueryBuilder<DB, TB, object>) => SelectQueryBuilder<DB, TB, R>,
): Promise<{ rows: R[]; meta: KeysetPage<never>["meta"] }> {
  assertPageOrCursor(input);
  const after =
    input.cursor === undefined ? undefined : readCursor(list.name, list.filters, IdKey, input.cursor);
  // Named by sql.ref: a builder generic over its tables cannot name `id` in Kysely's typed where/orderBy.
  const id = sql.ref("id");
  const ordered = select(filtered)
    .orderBy(id, "desc")
    .limit(input.per_page + 1);
  const page = after
    ? ordered.where(sql<boolean>`${id} < ${BigInt(after[0])}`)
    : ordered.offset(offsetOf(input));
  const [rows, count] = await Promise.all([page.execute(), countIfAsked(input, filtered)]);
  return keysetPageOf(rows as R[], count, input, {
    list: list.name,
    filters: list.filters,
    keyOf: (r) => [String(r.id)],
  });
}
