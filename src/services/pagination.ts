import { z } from "zod";
import { wholeNumber } from "./schemas.ts";

const pageNumber = (max: number) =>
  wholeNumber({ min: 1n, max: BigInt(max), message: `must be a whole number from 1 to ${max}` })
    .transform(Number)
    .meta({ type: "integer", minimum: 1, maximum: max });

/** Pages are bounded: at most 500 rows an answer, so no request makes the server hold a whole table. */
export const PageQuery = z.object({
  page: pageNumber(1_000_000).default(1),
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
