import type { FastifyRequest } from "fastify";
import type { KeysetPage } from "../kernel/list-cursor.ts";
import { queryText } from "./list-filters.ts";
import { type ListPager, listPaging, pageQuery } from "./page-kit.ts";

// The long lists of either face (the console's invoices, customers and payments; the portal's statement) walk
// by cursor: "Next" carries the list's next_cursor, so page 12,000 costs what page 2 does (an OFFSET read and
// dropped every row before it: 6.1 s on 600,495 invoices). The link also carries `page`, only to say "Page N":
// the rows come from the cursor alone. A page reached by cursor does not count the list's matches (the count
// costs what the whole list does), so it says "Page N" without "of M"; the first page, by number, counts them.
// Until 2026-12-07 these lived in console/list-walk.ts and the portal's statement imported the console's code;
// the faces import neither the other (biome.json, docs/ARCHITECTURE.md "Dependency rules").

/**
 * The verb's paging input: the cursor when the link has one, else the page number, which the verb checks with
 * the filters (listPaging), so both are told when both are bad.
 */
export function walkQuery(
  request: FastifyRequest,
  perPage = 50,
): { page: string | number; per_page: number; cursor?: string } {
  const cursor = queryText(request, "cursor");
  return cursor === undefined ? listPaging(request, perPage) : { page: 1, per_page: perPage, cursor };
}

/** The pager partial's input: Previous by page number near the start, First page from deep, Next by cursor. */
export function walkPagerOf(
  request: FastifyRequest,
  meta: KeysetPage<unknown>["meta"],
): ListPager & { first?: string } {
  const path = request.url.split("?")[0]!;
  const link = (change: (params: URLSearchParams) => void) => {
    const params = new URLSearchParams(request.url.includes("?") ? request.url.split("?")[1] : "");
    change(params);
    const query = params.toString();
    return query === "" ? path : `${path}?${query}`;
  };
  const cursorPage = meta.page === null;
  // A page reached by cursor has no counted number: the link's, kept within the list's pages where counted.
  const linked = Math.max(pageQuery(request).page, 2);
  const page = cursorPage ? Math.min(linked, meta.last_page ?? linked) : meta.page!;
  const next =
    meta.next_cursor === null
      ? undefined
      : link((p) => {
          p.set("cursor", meta.next_cursor!);
          p.set("page", String(page + 1));
        });
  const withoutPaging = (p: URLSearchParams) => {
    p.delete("cursor");
    p.delete("page");
  };
  const start = link(withoutPaging);
  return {
    page,
    last: meta.last_page,
    total: meta.total,
    paged: cursorPage || page > 1,
    start,
    ...(cursorPage ? { first: start } : {}),
    ...(!cursorPage && page > 1
      ? { prev: link((p) => (page === 2 ? withoutPaging(p) : p.set("page", String(page - 1)))) }
      : {}),
    ...(next ? { next } : {}),
  };
}
