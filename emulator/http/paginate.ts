import { validationError, type FieldErrors } from "../errors.ts";
import type { Query } from "./query.ts";

// Every list answers with Laravel's paginator shape (solusio-api.md §1): the WHMCS module stops after page 1
// when `meta` is missing, so it is always there. `per_page` as a request parameter is [OURS].

export const DEFAULT_PER_PAGE = 15;
export const MAX_PER_PAGE = 100;

export interface Page<T> {
  data: T[];
  links: { first: string; last: string; prev: string | null; next: string | null };
  meta: {
    current_page: number;
    from: number | null;
    last_page: number;
    path: string;
    per_page: number;
    to: number | null;
    total: number;
  };
}

function positiveInt(
  raw: string | undefined,
  field: string,
  max: number,
  fallback: number,
  errors: FieldErrors,
): number {
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    errors[field] = [`The ${field} must be an integer between 1 and ${max}.`];
    return fallback;
  }
  return Number(raw);
}

/** `path` is the absolute URL of the list without query; other query parameters are kept in the links. */
export function paginate<T, R>(items: T[], query: Query, path: string, present: (item: T) => R): Page<R> {
  const errors: FieldErrors = {};
  const page = positiveInt(query.get("page"), "page", 1_000_000_000, 1, errors);
  const perPage = positiveInt(query.get("per_page"), "per_page", MAX_PER_PAGE, DEFAULT_PER_PAGE, errors);
  if (Object.keys(errors).length > 0) throw validationError(errors);

  const total = items.length;
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const start = (page - 1) * perPage;
  const slice = items.slice(start, start + perPage);
  const kept = query.entries().filter(([k]) => k !== "page");
  const link = (n: number) => {
    const params = new URLSearchParams([...kept, ["page", String(n)]]);
    return `${path}?${params.toString()}`;
  };
  return {
    data: slice.map(present),
    links: {
      first: link(1),
      last: link(lastPage),
      prev: page > 1 ? link(Math.min(page - 1, lastPage)) : null,
      next: page < lastPage ? link(page + 1) : null,
    },
    meta: {
      current_page: page,
      from: slice.length > 0 ? start + 1 : null,
      last_page: lastPage,
      path,
      per_page: perPage,
      to: slice.length > 0 ? start + slice.length : null,
      total,
    },
  };
}
