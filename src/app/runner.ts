import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { Database } from "../db/schema.ts";
import { actors } from "../kernel/actor.ts";
import type { ServiceContext } from "../kernel/context.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";
import { type JobGroup, type JobOutlets, runnableKinds } from "./job-catalog.ts";
import { JobRunner } from "../jobs/job-runner.ts";
import { type JobWakeups, wakeupsFor } from "../jobs/job-wakeups.ts";

export interface RunnerTuning extends JobOutlets {
  backoffBaseMs?: number;
  backoffCapMs?: number;
  pollMs?: number;
  /**
   * Where the runner hears of new jobs; by default LISTEN on PostgreSQL (DATABASE_LISTEN_URL, else
   * DATABASE_URL), else in-process.
   */
  wakeups?: JobWakeups;
}

/**
 * The runner of the outbox kinds (catalog.ts): user sync, invoice events, e-mail and webhooks, and the
 * portal's links when given a `portalMailer` (serve gives one). Without SolusIO the sync kind has no
 * handler, so those jobs wait in the outbox until a runner that can deliver them starts; invoice e-mail and
 * webhooks likewise wait for SMTP_HOST / WEBHOOK_URLS, and portal links for a runner with a mailer.
 */
export function createJobRunner(
  db: Kysely<Database>,
  config: Config,
  logger: Logger,
  solusio: SolusioIntegration | undefined,
  tuning: RunnerTuning = {},
): JobRunner {
  const ctx: ServiceContext = {
    db,
    config,
    logger,
    actor: actors.system("jobs"),
    now: () => new Date(),
    solusio,
  };
  const wakeups = tuning.wakeups ?? wakeupsFor(config.DATABASE_LISTEN_URL ?? config.DATABASE_URL, db, logger);
  // New jobs wake the runner (wakeups): the poll only catches retries whose backoff ran out and anything missed.
  return runnerFor(ctx, "outbox", { pollMs: 1_000, ...tuning, wakeups });
}

/** A runner of one group of catalog kinds, whose handlers act in `ctx` (its clock, actor and SolusIO). */
export function runnerFor(ctx: ServiceContext, group: JobGroup, tuning: RunnerTuning = {}): JobRunner {
  const { config } = ctx;
  const { portalMailer, ...runnerTuning } = tuning;
  return new JobRunner({
    db: ctx.db,
    logger: ctx.logger,
    concurrency: config.JOB_CONCURRENCY,
    backoffBaseMs: Math.min(1000, config.JOB_RETRY_CAP_MS),
    backoffCapMs: config.JOB_RETRY_CAP_MS,
    lockSeconds: config.JOB_LOCK_SECONDS,
    ...runnerTuning,
    handlers: runnableKinds(ctx, group, { portalMailer }),
  });
}
