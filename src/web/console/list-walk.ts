import type { FastifyReply, FastifyRequest } from "fastify";
import { MAX_QUERY_TEXT } from "../../kernel/clean-text.ts";
import type { KeysetPage } from "../../kernel/list-cursor.ts";
import { type PageExtra, pageQuery, staffPage } from "../page-kit.ts";
import type { WebDeps } from "../web-deps.ts";
import { queryText, STAFF } from "./page-helpers.ts";
import { formFailureOf } from "./pricing-form-kit.ts";

// The console's long lists (invoices, customers) walk by cursor: "Next" carries the list's next_cursor, so
// page 12,000 costs what page 2 does (an OFFSET read and dropped every row before it: 6.1 s on 600,495
// invoices). The link also carries `page`, only to say "Page N": the rows come from the cursor alone. A page
// reached by cursor does not count the list's matches (the count costs what the whole list does), so it says
// "Page N" without "of M"; the first page, by number, counts them.

/** The verb's paging input: the cursor when the link has one, else the page number. */
export function walkQuery(
  request: FastifyRequest,
  perPage = 50,
): { page: number; per_page: number; cursor?: string } {
  const cursor = queryText(request, "cursor");
  return cursor === undefined ? pageQuery(request, perPage) : { page: 1, per_page: perPage, cursor };
}

/** The pager partial's input: Previous by page number near the start, First page from deep, Next by cursor. */
export function walkPagerOf(
  request: FastifyRequest,
  meta: KeysetPage<unknown>["meta"],
): {
  page: number;
  last: number | null;
  total: number | null;
  first?: string;
  prev?: string;
  next?: string;
} {
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
  return {
    page,
    last: meta.last_page,
    total: meta.total,
    ...(cursorPage ? { first: link(withoutPaging) } : {}),
    ...(!cursorPage && page > 1
      ? { prev: link((p) => (page === 2 ? withoutPaging(p) : p.set("page", String(page - 1)))) }
      : {}),
    ...(next ? { next } : {}),
  };
}

/**
 * A keyset list read by page number (no cursor, so its matches are counted) as the pager by number takes it:
 * an invoice's or a customer's own payments, a few pages at most.
 */
export function numberedMeta(meta: KeysetPage<unknown>["meta"]): {
  page: number;
  per_page: number;
  total: number;
  last_page: number;
} {
  return {
    page: meta.page ?? 1,
    per_page: meta.per_page,
    total: meta.total ?? 0,
    last_page: meta.last_page ?? 1,
  };
}

/**
 * Route options of a console list page whose filter form holds `filters` (its query parameters): one longer
 * than the address's cap is left to the page, whose verb refuses it beside its field in its own bound's words,
 * instead of the damaged-address page naming nothing (page-text-input.ts, queryFields).
 */
export function filteredListRoute(filters: readonly string[]) {
  return { config: { ...STAFF.config, queryFields: filters } };
}

/** The filter form's values from the query, trimmed, by parameter name; absent and empty ones left out. */
export function filterValues(request: FastifyRequest, filters: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of filters) {
    const v = queryText(request, name);
    if (v !== undefined) values[name] = v;
  }
  return values;
}

/**
 * The values the form shows again: one past the address's cap (only a hand-made address holds one) is refused
 * beside its field and not written back into the page.
 */
export function shownValues(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v.length <= MAX_QUERY_TEXT));
}

/**
 * A console list page with filters: `read` fetches the page's rows and pager; a filter the verb refuses (a 400,
 * or a 409) renders the same page with `empty` rows and each message beside its field (`fieldOf` maps a verb's
 * name to the form's, as formFailureOf takes it). Any other error goes to the page's error handler.
 */
export async function filteredListPage(
  deps: WebDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  page: {
    template: string;
    data: PageExtra;
    filters: readonly string[];
    empty: Record<string, unknown[]>;
    fieldOf?: (path: string) => string;
  },
  read: () => Promise<Record<string, unknown>>,
): Promise<FastifyReply> {
  let rows: Record<string, unknown>;
  try {
    rows = await read();
  } catch (error) {
    const failure = formFailureOf(error, page.filters, page.fieldOf);
    if (!failure) throw error;
    const refused = { ...page.data, ...page.empty, errors: failure.errors };
    return staffPage(deps, request, reply, page.template, refused, failure.status);
  }
  return staffPage(deps, request, reply, page.template, { ...page.data, ...rows });
}
