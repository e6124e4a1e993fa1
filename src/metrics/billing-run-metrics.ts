import type { Logger } from "pino";
import { Gauge, type Registry } from "prom-client";
import type { Db } from "../kernel/context.ts";
import { sharedScrapeQuery } from "./scrape-query.ts";

interface RunRow {
  id: string;
  period: string;
  phase: string;
  processed: number;
  total: number;
  heartbeat_at: Date;
}

/**
 * Progress of the billing runs in progress (state running), read at scrape time: customers done and the
 * run's total, by run, period and phase, and how long ago the run last reported progress. No series while
 * no run is in progress. Database-wide.
 *
 * A run whose process was killed stays `running` until a later start marks it abandoned (after 10 minutes
 * without progress, start-billing-run.ts); its last progress then grows old here, which is what an alert
 * on a stuck run looks at.
 */
export function billingRunGauges(registry: Registry, db: Db, logger: Logger): void {
  const read = sharedScrapeQuery<RunRow>(
    () =>
      db
        .selectFrom("billing_run")
        .select(["id", "period", "phase", "processed", "total", "heartbeat_at"])
        .where("state", "=", "running")
        .execute(),
    logger,
    "billing runs",
  );
  const labelNames = ["run", "period", "phase"] as const;
  const gauge = (name: string, help: string, value: (row: RunRow) => number) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const rows = await read();
        this.reset();
        for (const row of rows ?? [])
          this.set({ run: row.id, period: row.period, phase: row.phase }, Number(value(row)));
      },
    });
  gauge(
    "tokenbill_billing_run_customers_done",
    "Customers the running billing run has processed in its current phase",
    (r) => r.processed,
  );
  gauge(
    "tokenbill_billing_run_customers_total",
    "Customers the running billing run has to process",
    (r) => r.total,
  );
  gauge(
    "tokenbill_billing_run_progress_age_seconds",
    "Seconds since the running billing run last reported progress (a killed run's grows)",
    (r) => Math.max(0, (Date.now() - r.heartbeat_at.getTime()) / 1000),
  );
}
