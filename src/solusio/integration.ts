import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { Database } from "../db/schema.ts";
import { JobRunner } from "../jobs/job-runner.ts";
import { SYNC_CUSTOMER_JOB } from "../services/sync/enqueue-customer-sync.ts";
import { syncCustomerHandler } from "../services/sync/sync-customer.ts";
import { connectConfiguredSolusio, type SolusioConnection } from "./connect-solusio.ts";
import { limitGroupResolver } from "./limit-group-resolver.ts";

/** What the rest of tokenbill needs from the SolusIO side: the API, and the limit-group name resolver. */
export interface SolusioIntegration {
  connection: SolusioConnection;
  limitGroupId(name: string | null): Promise<number | undefined>;
}

export function integrate(connection: SolusioConnection, config: Config): SolusioIntegration {
  return { connection, limitGroupId: limitGroupResolver(connection.api, config) };
}

/** The outbox runner with every job kind tokenbill has; without SolusIO, sync jobs wait in the outbox. */
export function createJobRunner(
  db: Kysely<Database>,
  config: Config,
  logger: Logger,
  solusio: SolusioIntegration | undefined,
  tuning: { backoffBaseMs?: number; backoffCapMs?: number; pollMs?: number } = {},
): JobRunner | undefined {
  if (!solusio) return undefined;
  return new JobRunner({
    db,
    logger,
    concurrency: config.JOB_CONCURRENCY,
    backoffBaseMs: Math.min(1000, config.JOB_RETRY_CAP_MS),
    backoffCapMs: config.JOB_RETRY_CAP_MS,
    lockSeconds: config.JOB_LOCK_SECONDS,
    ...tuning,
    handlers: {
      [SYNC_CUSTOMER_JOB]: syncCustomerHandler({
        db,
        api: solusio.connection.api,
        logger,
        limitGroupId: solusio.limitGroupId,
      }),
    },
  });
}

export function configuredIntegration(
  config: Config,
  db: Kysely<Database>,
  logger: Logger,
): SolusioIntegration | undefined {
  const connection = connectConfiguredSolusio(config, db, logger);
  return connection ? integrate(connection, config) : undefined;
}
