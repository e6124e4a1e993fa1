import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { Database } from "../db/schema.ts";
import { deliveryHandlers } from "../delivery/delivery-handlers.ts";
import { SYNC_CUSTOMER_JOB } from "../services/sync/enqueue-customer-sync.ts";
import { syncCustomerHandler } from "../services/sync/sync-customer.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";
import { ensureBound } from "../solusio/solusio-binding.ts";
import { type JobHandler, JobRunner } from "./job-runner.ts";

/**
 * The catalog of job kinds and the runner that executes them. Without SolusIO the sync kind has no handler,
 * so those jobs wait in the outbox until a runner that can deliver them starts; invoice delivery
 * (`invoice.email`, `invoice.webhook`) likewise waits for SMTP_HOST / WEBHOOK_URLS.
 */
export function jobHandlers(deps: {
  db: Kysely<Database>;
  config: Config;
  logger: Logger;
  solusio: SolusioIntegration | undefined;
}): Record<string, JobHandler> {
  const handlers: Record<string, JobHandler> = deliveryHandlers(deps);
  if (deps.solusio) {
    const { connection } = deps.solusio;
    const sync = syncCustomerHandler({
      db: deps.db,
      api: connection.api,
      logger: deps.logger,
      limitGroupId: deps.solusio.limitGroupId,
    });
    // Never sync into another SolusIO than the database's own: the job fails and waits for a fix.
    handlers[SYNC_CUSTOMER_JOB] = async (job) => {
      await ensureBound(deps.db, connection);
      return sync(job);
    };
  }
  return handlers;
}

export function createJobRunner(
  db: Kysely<Database>,
  config: Config,
  logger: Logger,
  solusio: SolusioIntegration | undefined,
  tuning: { backoffBaseMs?: number; backoffCapMs?: number; pollMs?: number } = {},
): JobRunner {
  return new JobRunner({
    db,
    logger,
    concurrency: config.JOB_CONCURRENCY,
    backoffBaseMs: Math.min(1000, config.JOB_RETRY_CAP_MS),
    backoffCapMs: config.JOB_RETRY_CAP_MS,
    lockSeconds: config.JOB_LOCK_SECONDS,
    ...tuning,
    handlers: jobHandlers({ db, config, logger, solusio }),
  });
}
