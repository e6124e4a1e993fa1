import type { FastifyReply, FastifyRequest } from "fastify";
import type { KeysetPage } from "../../kernel/list-cursor.ts";
import { type FilteredList, filterRouteConfig, listFilterPage } from "../list-filters.ts";
import { staffPage } from "../page-kit.ts";
import type { WebDeps } from "../web-deps.ts";
import { STAFF } from "./page-helpers.ts";

// What the console's list pages add to the walk by cursor both faces share (../list-walk.ts): the staff
// session's filtered list page, and the numbered pager of a short keyset list.

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
 * Route options of a console list page whose filter form holds `filters` (its query parameters): see
 * filterRouteConfig (list-filters.ts).
 */
export function filteredListRoute(filters: readonly string[]) {
  return { config: { ...STAFF.config, ...filterRouteConfig(filters) } };
}

/** A console list page with filters (listFilterPage, list-filters.ts) rendered for the session's staff user. */
export function filteredListPage(
  deps: WebDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  page: FilteredList,
  read: () => Promise<Record<string, unknown>>,
): Promise<FastifyReply> {
  return listFilterPage(staffPage, deps, request, reply, page, read);
}
