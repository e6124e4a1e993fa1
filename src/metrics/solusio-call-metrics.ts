import { Counter, Histogram, type Registry } from "prom-client";
import { callObservers, type SolusioCall } from "../solusio/call-log.ts";

/** Seconds. SolusIO answers in tens of milliseconds; its client gives up after SOLUSIO_TIMEOUT_MS. */
const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The path of a SolusIO call as a pattern: ids and UUIDs become `:id` and `:uuid`, and the query string is
 * dropped, so a label value names an endpoint, never a user or a server (bounded cardinality).
 */
export function pathPattern(path: string): string {
  return (path.split("?")[0] ?? "")
    .split("/")
    .map((segment) =>
      /^\d+$/.test(segment)
        ? ":id"
        : /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment)
          ? ":uuid"
          : segment,
    )
    .join("/");
}

/** What a call came to: the HTTP status, or `network` when none came back (a timeout, a refused connection). */
function outcomeOf(call: SolusioCall): string {
  return call.status === null ? "network" : String(call.status);
}

/**
 * SolusIO call latency (every attempt, retries included) and failures, from the client's call recording
 * (src/solusio/call-log.ts). Returns the function that stops observing.
 */
export function observeSolusioCalls(registry: Registry): () => void {
  const duration = new Histogram({
    name: "tokenbill_solusio_call_duration_seconds",
    help: "SolusIO API calls (each attempt) by method, path pattern and status (`network`: no answer)",
    labelNames: ["method", "route", "status"] as const,
    buckets: CALL_BUCKETS,
    registers: [registry],
  });
  const errors = new Counter({
    name: "tokenbill_solusio_call_errors_total",
    help: "SolusIO API calls (each attempt) that failed: an error status, no answer, or an unexpected body",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const observe = (call: SolusioCall) => {
    const labels = { method: call.method, route: pathPattern(call.path), status: outcomeOf(call) };
    duration.observe(labels, call.durationMs / 1000);
    if (call.error !== null) errors.inc(labels);
  };
  callObservers.add(observe);
  return () => {
    callObservers.delete(observe);
  };
}
