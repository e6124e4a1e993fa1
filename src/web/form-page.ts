import type { FastifyRequest } from "fastify";

/**
 * For a page drawn as a form's answer (a POST), the page that form is on: the longest leading part of the
 * form's address that a page answers (`…/invoices/inv_1/payments` → the invoice; `/console/login` itself).
 * The layout hands it to assets/form-answer.js, which makes it the history entry's address: Back to a POST's
 * answer was Chromium's net::ERR_CACHE_MISS, as no-store keeps no copy of it. Undefined for a GET.
 */
export function formPageOf(request: FastifyRequest): string | undefined {
  if (request.method !== "POST") return undefined;
  // The route's pattern and the address have the same segments (no wildcards under /console or /portal).
  const pattern = (request.routeOptions.url ?? "").split("/");
  const path = (request.url.split("?")[0] ?? "").split("/");
  if (pattern.length !== path.length) return undefined;
  for (let n = pattern.length; n > 2; n--)
    if (request.server.hasRoute({ method: "GET", url: pattern.slice(0, n).join("/") }))
      return path.slice(0, n).join("/");
  return path.slice(0, 2).join("/");
}
