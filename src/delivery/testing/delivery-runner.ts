import { pino } from "pino";
import { runnableKinds } from "../../app/job-catalog.ts";
import { JobRunner } from "../../jobs/job-runner.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { INVOICE_EMAIL_JOB, INVOICE_EVENT_JOB, INVOICE_WEBHOOK_JOB } from "../invoice-jobs.ts";

/**
 * A job runner for delivery alone (invoice events, e-mails, webhooks): other outbox jobs, such as the dunning
 * evaluations payments enqueue, stay queued. Signed with the real clock, as in production, since a webhook
 * receiver checks the timestamp against its own.
 */
export function deliveryRunner(ctx: ServiceContext): JobRunner {
  const kinds = runnableKinds({ ...ctx, now: () => new Date() }, "outbox");
  return new JobRunner({
    db: ctx.db,
    logger: pino({ level: "silent" }),
    handlers: Object.fromEntries(
      [INVOICE_EVENT_JOB, INVOICE_EMAIL_JOB, INVOICE_WEBHOOK_JOB].map((k) => [k, kinds[k]!]),
    ),
  });
}

/** Runs every job the runner can until none is left (event jobs first: they write the others). */
export async function drain(runner: JobRunner): Promise<void> {
  while ((await runner.runOnce()) > 0) {}
}
