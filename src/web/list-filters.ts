import type { FastifyReply, FastifyRequest } from "fastify";
import { MAX_QUERY_TEXT } from "../kernel/clean-text.ts";
import { FILTERS_REFUSED } from "./error-summary.ts";
import { formFailureOf } from "./form-failure.ts";
import type { PageExtra } from "./page-kit.ts";
import type { WebDeps } from "./web-deps.ts";

// What a list page with a filter form does with its query, on either face (the console's lists,
// console/list-walk.ts, walked by list-walk.ts; the portal's, portal/portal-lists.ts): the filters read from the query, a refused one
// (or a bad page number) told beside its field on the page itself with a 400, the value past the address's
// cap not written back.

/** A query parameter as trimmed text, or undefined when absent, empty or not a single string. */
export function queryText(request: FastifyRequest, name: string): string | undefined {
  const raw = (request.query as Record<string, unknown> | undefined)?.[name];
  if (typeof raw !== "string") return undefined;
  const text = raw.trim();
  return text === "" ? undefined : text;
}

/**
 * Route config of a list page whose filter form holds `filters` (its query parameters): one longer than the
 * address's cap is left to the page, whose verb refuses it beside its field in its own bound's words, instead
 * of the damaged-address page naming nothing (page-text-input.ts, queryFields).
 */
export function filterRouteConfig(filters: readonly string[]): { queryFields: readonly string[] } {
  return { queryFields: filters };
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

/** A list page: its template and data, the filters its form shows, the rows it shows when refused. */
export interface FilteredList {
  template: string;
  data: PageExtra;
  filters: readonly string[];
  empty: Record<string, unknown[]>;
  fieldOf?: (path: string) => string;
}

/** How a face renders a page for its session (staffPage, customerPage in page-kit.ts). */
export type FacePage = (
  deps: WebDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  data: PageExtra,
  status?: number,
) => Promise<FastifyReply>;

/**
 * A list page with filters: `read` fetches the page's rows and pager; a filter the verb refuses (a 400, or a
 * 409), or a bad page number (pageQuery), renders the same page with `empty` rows and each message beside its
 * field, or above the form for a parameter it does not show (`fieldOf` maps a verb's name to the form's, as
 * formFailureOf takes it). Any other error goes to the page's error handler.
 */
export async function listFilterPage(
  render: FacePage,
  deps: WebDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  page: FilteredList,
  read: () => Promise<Record<string, unknown>>,
): Promise<FastifyReply> {
  let rows: Record<string, unknown>;
  try {
    rows = await read();
  } catch (error) {
    const failure = formFailureOf(error, page.filters, page.fieldOf);
    if (!failure) throw error;
    // A list saves nothing: its summary says the filters have a problem, not that nothing was saved.
    const refused = { ...page.data, ...page.empty, errors: failure.errors, summaryWording: FILTERS_REFUSED };
    return render(deps, request, reply, page.template, refused, failure.status);
  }
  return render(deps, request, reply, page.template, { ...page.data, ...rows });
}
