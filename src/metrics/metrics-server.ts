import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Metrics } from "./metrics.ts";

/**
 * Every route the METRICS_PORT listener answers, and its access: `loopback`, no credential, as the listener
 * binds to 127.0.0.1 only. Any other method or path is refused with a 404 (deny by default); docs/security.md
 * lists these, held to this table by test/docs/security-routes.db.test.ts.
 */
export const metricsListenerRoutes: readonly MetricsListenerRoute[] = [
  { method: "GET", url: "/metrics", access: "loopback" },
  { method: "HEAD", url: "/metrics", access: "loopback" },
];

export interface MetricsListenerRoute {
  method: "GET" | "HEAD";
  url: string;
  access: "loopback";
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * METRICS_PORT: GET /metrics without a key, on the loopback interface only, for a Prometheus (or an agent)
 * on the same host. Anything reachable from elsewhere goes through the main port and the admin key.
 */
export async function startMetricsServer(metrics: Metrics, port: number): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    req.resume();
    const path = (req.url ?? "").split("?")[0];
    if (!metricsListenerRoutes.some((route) => route.method === req.method && route.url === path)) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found: GET /metrics\n");
      return;
    }
    metrics.scrape().then(
      ({ contentType, text }) => {
        res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      () => res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("scrape failed\n"),
    );
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
