import type { FastifyReply, FastifyRequest } from "fastify";
import { filterRouteConfig, filterValues, listFilterPage, shownValues } from "../list-filters.ts";
import { customerPage } from "../page-kit.ts";
import type { WebDeps } from "../web-deps.ts";
import { CUSTOMER } from "./portal-notices.ts";

// The portal's lists (invoices, credit notes, payments) with their filter form, one way for the three: the
// filters read from the query (list-filters.ts), the form drawn from their description by the
// portal-list-filters partial, a refused value told beside its field with a 400, and what the list says when
// it has no rows. The verb of each list checks its filters, in the customer's words, with the page number.

/** A field of a list's filter form: a choice among `choices` ([value, words]), or typed text (a month). */
export interface PortalFilter {
  name: string;
  label: string;
  choices?: readonly (readonly [string, string])[];
}

/** A portal list: its address, template, the name its rows go by in the template and its filter form. */
export interface PortalList {
  path: string;
  title: string;
  template: string;
  rows: string;
  filters: readonly PortalFilter[];
  /** What the list says with no rows at all, and with none matching the filters. */
  none: string;
  noneMatching: string;
  /**
   * Filters renamed: an old link's parameter and the name it has now. Such a link is answered with a 303 to the
   * same list with the new name (redirectOfRenamed), not shown unfiltered as if the filter had not been given.
   */
  renamed?: Readonly<Record<string, string>>;
}

/** Route options of a portal list: a customer's page whose filter values may be long (filterRouteConfig). */
export function portalListRoute(list: PortalList) {
  return { config: { ...CUSTOMER.config, ...filterRouteConfig(list.filters.map((f) => f.name)) } };
}

/**
 * A portal list page: `read` gets the filters given (trimmed, absent and empty ones left out) for its verb,
 * with listPaging's page number, and returns the rows under `list.rows` with the pager (whose links keep the
 * filters: pagerOf keeps the query).
 */
export async function portalListPage(
  deps: WebDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  list: PortalList,
  read: (filters: Record<string, string>) => Promise<Record<string, unknown>>,
): Promise<FastifyReply> {
  const moved = redirectOfRenamed(request, list);
  if (moved !== undefined) return reply.redirect(moved, 303);
  const names = list.filters.map((f) => f.name);
  const values = filterValues(request, names);
  const data = {
    title: list.title,
    listPath: list.path,
    values: shownValues(values),
    filterForm: list.filters,
    none: Object.keys(values).length > 0 ? list.noneMatching : list.none,
  };
  const page = { template: list.template, data, filters: names, empty: { [list.rows]: [] } };
  return listFilterPage(customerPage, deps, request, reply, page, () => read(values));
}

/**
 * Where a link naming a renamed filter goes: the list with the new name holding the old one's value (a value
 * given under the new name as well stands), every other parameter kept; undefined when it names none. The page
 * there checks the value as any other (a bad one is refused beside its field).
 */
function redirectOfRenamed(request: FastifyRequest, list: PortalList): string | undefined {
  const renamed = Object.entries(list.renamed ?? {});
  const at = request.url.indexOf("?");
  const params = new URLSearchParams(at === -1 ? "" : request.url.slice(at + 1));
  if (!renamed.some(([old]) => params.has(old))) return undefined;
  for (const [old, now] of renamed) {
    const value = params.get(old);
    params.delete(old);
    if (value !== null && !params.has(now)) params.set(now, value);
  }
  const query = params.toString();
  return query === "" ? list.path : `${list.path}?${query}`;
}
