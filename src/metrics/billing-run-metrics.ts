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
}

/**
 * Progress of the billing runs in progress (state running), read at scrape time: customers done and the
 * run's total, by run, period and phase. No series while no run is in progress. Database-wide.
 */
export function billingRunGauges(registry: Registry, db: Db, logger: Logger): void {
  const read = sharedScrapeQuery<RunRow>(
    () =>
      db
        .selectFrom("billing_run")
        .select(["id", "period", "phase", "processed", "total"])
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
        for (const row of rows)
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
}
