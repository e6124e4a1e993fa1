import type { SelectQueryBuilder } from "kysely";
import { z } from "zod";
import { wholeNumber } from "./schemas.ts";

const pageNumber = (max: number) =>
  wholeNumber({ min: 1n, max: BigInt(max), message: `must be a whole number from 1 to ${max}` })
    .transform(Number)
    .meta({ type: "integer", minimum: 1, maximum: max });

/** The last page number a list is asked for (a page past its rows is empty, not refused). */
export const MAX_PAGE = 1_000_000;

/** Pages are bounded: at most 500 rows an answer, so no request makes the server hold a whole table. */
export const PageQuery = z.object({
  page: pageNumber(MAX_PAGE).default(1),
  per_page: pageNumber(500).default(50),
});
export type PageQuery = z.output<typeof PageQuery>;

export interface Page<T> {
  data: T[];
  meta: { page: number; per_page: number; total: number; last_page: number };
}

export function pageOf<T>(data: T[], total: number | bigint, query: PageQuery): Page<T> {
  const count = Number(total);
  return {
    data,
    meta: {
      page: query.page,
      per_page: query.per_page,
      total: count,
      last_page: Math.max(1, Math.ceil(count / query.per_page)),
    },
  };
}

export function offsetOf(query: PageQuery): number {
  return (query.page - 1) * query.per_page;
}

/**
 * One page of a filtered query and the filter's total count, in one place: `rowsOf` adds the selection and
 * order to the filtered query, `present` shapes each row for the answer. The count is taken from the rows'
 * own query (`rowsOf`'s, its selection and order cleared), so a filter added there is counted as well: until
 * 2026-12-06 only `filtered` was counted, and a filter in `rowsOf` made meta.total lie.
 */
export async function fetchPage<DB, TB extends keyof DB, O, T>(
  filtered: SelectQueryBuilder<DB, TB, object>,
  query: PageQuery,
  rowsOf: (q: SelectQueryBuilder<DB, TB, object>) => SelectQueryBuilder<DB, TB, O>,
  present: (row: O) => T,
): Promise<Page<T>> {
  const shown = rowsOf(filtered);
  const [rows, count] = await Promise.all([
    shown.limit(query.per_page).offset(offsetOf(query)).execute(),
    shown
      .clearSelect()
      .clearOrderBy()
      .select((eb) => eb.fn.countAll<bigint>().as("n"))
      .executeTakeFirstOrThrow() as Promise<{
      n: bigint;
    }>,
  ]);
  return pageOf(rows.map(present), count.n, query);
}
