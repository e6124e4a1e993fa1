import { notFound } from "../errors.ts";
import type { RouteContext } from "./route.ts";

/** A numeric path id; anything else cannot name a record, so it is a 404 like an unknown id. */
export function idParam(ctx: RouteContext, what: string, name = "id"): number {
  const raw = ctx.params[name] ?? "";
  if (!/^\d{1,15}$/.test(raw)) throw notFound(what);
  return Number(raw);
}

/** The absolute URL of a list, without query: meta.path and the base of every page link. */
export function listPath(ctx: RouteContext): string {
  return `${ctx.origin}${ctx.path}`;
}
