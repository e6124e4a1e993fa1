import { z } from "zod";

export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  per_page: z.coerce.number().int().min(1).max(500).default(50),
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
