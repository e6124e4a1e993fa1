import { collectDefaultMetrics, Histogram, Registry } from "prom-client";
import type { Logger } from "pino";
import type { Db } from "../kernel/context.ts";
import { billingRunGauges } from "./billing-run-metrics.ts";
import { jobQueueGauges } from "./job-queue-metrics.ts";
import { namedStatementGauges } from "./named-statement-metrics.ts";
import { observeSolusioCalls } from "./solusio-call-metrics.ts";
import { StatusHistogram } from "./status-histogram.ts";

// One Prometheus registry per server (docs/metrics.md): request latency by matched route, GetTokenPricing
// latency, SolusIO calls, and figures read from the database at scrape time (job queue, billing run). A
// registry per server, not prom-client's global one, so that tests may run several servers in one process.
// The process's own figures (CPU, memory, event loop, GC) are another registry, made once per process:
// prom-client observes GC and the event loop process-wide and never lets go, so default metrics registered
// per server kept every closed server's registry, its database and the database's memory (about 245 MB an
// embedded test database) for the life of the process.

/** Seconds. The admin API answers in milliseconds; a billing run start or a PDF may take seconds. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds. GetTokenPricing answers from memory: its target is p99 ≤ 5 ms, so the buckets are finer. */
const PRICING_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];

export interface Metrics {
  registry: Registry;
  requestDuration: Histogram<"method" | "route" | "status">;
  /** Observed on every GetTokenPricing answer: a histogram of its own, cheap to observe (status-histogram.ts). */
  pricingDuration: StatusHistogram;
  /** The exposition text and its content type. */
  scrape(): Promise<{ contentType: string; text: string }>;
  /** Stops observing SolusIO calls (the observers are process-wide). */
  close(): void;
}

let processRegistry: Registry | undefined;

/** The process's default metrics, registered once however many servers the process builds. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: "tokenbill_" });
  }
  return processRegistry;
}

export function createMetrics(db: Db, logger: Logger): Metrics {
  const registry = new Registry();
  const processWide = processMetrics();
  const requestDuration = new Histogram({
    name: "tokenbill_http_request_duration_seconds",
    help: "HTTP requests by method, matched route pattern (never the raw URL) and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: REQUEST_BUCKETS,
    registers: [registry],
  });
  const pricingDuration = new StatusHistogram(
    "tokenbill_get_token_pricing_duration_seconds",
    "GetTokenPricing answers by status, from request start to the answer written",
    PRICING_BUCKETS,
    registry,
  );
  jobQueueGauges(registry, db, logger);
  billingRunGauges(registry, db, logger);
  namedStatementGauges(registry, db);
  const stopCalls = observeSolusioCalls(registry);
  return {
    registry,
    requestDuration,
    pricingDuration,
    // Both registries speak the same text format; each metric's HELP and TYPE travel with it.
    scrape: async () => ({
      contentType: registry.contentType,
      text: `${await processWide.metrics()}\n${await registry.metrics()}`,
    }),
    close: stopCalls,
  };
}
