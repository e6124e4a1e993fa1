import type { FastifyInstance } from "fastify";
import type { Metrics } from "./metrics.ts";

/** The route label of a request no route matched: one series for all of them, whatever the URL. */
export const UNMATCHED_ROUTE = "(unmatched)";

/**
 * Observes every answered request under the route pattern the router matched (`/api/v1/customers/:id`),
 * never the raw URL, so the series stay bounded. `selfTimed` (GetTokenPricing) observes itself: its hot
 * path pays for one histogram observe, not for a label lookup in a generic hook.
 * Must run before the routes are registered.
 */
export function installRequestMetrics(app: FastifyInstance, metrics: Metrics, selfTimed: string): void {
  // A callback hook: no promise per request.
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route !== selfTimed || request.is404) {
      metrics.requestDuration.observe(
        {
          method: request.method,
          route: request.is404 || route === undefined ? UNMATCHED_ROUTE : route,
          status: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    }
    done();
  });
}

/** What GetTokenPricing calls once its answer is written: status and milliseconds since the request began. */
export function pricingObserver(metrics: Metrics): (status: number, elapsedMs: number) => void {
  return (status, elapsedMs) => metrics.pricingDuration.observe(status, elapsedMs / 1000);
}

/**
 * GET /metrics on the main server: the Prometheus exposition, behind the admin API key like every route
 * that does not opt out (src/http/access.ts); a scraper sends `Authorization: Bearer <admin API key>`. Its
 * figures are operational (no customer, secret or raw URL: docs/metrics.md), so a key of every role may
 * scrape: said here rather than left to the method's default, so a change of that default does not move it.
 */
export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics): void {
  const config = { access: "admin", keyRoles: ["admin", "billing", "support"] } as const;
  app.get("/metrics", { config }, async (_request, reply) => {
    const { contentType, text } = await metrics.scrape();
    return reply.type(contentType).send(text);
  });
}
