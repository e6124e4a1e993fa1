import type { z } from "zod";
import { creditNoteRefundHandler } from "../billing/credit-notes/credit-note-refund.ts";
import { chargeRefundsLookUpHandler } from "../billing/providers/look-up-charge-refunds.ts";
import { endedReservationLookUpHandler } from "../billing/providers/look-up-ended-reservation.ts";
import { dunningEmailHandler } from "../billing/dunning/dunning-email-handler.ts";
import { dunningEvaluateHandler, dunningScheduledHandler } from "../billing/dunning/dunning-jobs.ts";
import { sellerOf, smtpSettingsOf } from "../delivery/delivery-settings.ts";
import { invoiceEmailHandler } from "../delivery/invoice-email-handler.ts";
import { invoiceEventHandler } from "../delivery/invoice-event-handler.ts";
import { invoiceWebhookHandler } from "../delivery/invoice-webhook-handler.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { portalLinkEmailHandler } from "../services/portal-accounts/portal-link-mail.ts";
import type { PortalMailer } from "../services/portal-accounts/portal-mail.ts";
import { syncCustomerHandler } from "../services/sync/sync-customer.ts";
import { ensureBound } from "../solusio/solusio-binding.ts";
import { type RetryPolicy, type RunnableKind, runnableKind } from "../jobs/job-kind.ts";
import {
  InvoiceEmailPayload,
  InvoiceEventPayload,
  InvoiceWebhookPayload,
  CreditNoteRefundPayload,
  EndedReservationLookUpPayload,
  ChargeRefundsLookUpPayload,
  type JOB_PAYLOADS,
  type JobKind,
  DunningEmailPayload,
  DunningEvaluatePayload,
  NoPayload,
  PortalLinkEmailPayload,
  ScheduledBillingPayload,
  SyncCustomerPayload,
} from "../jobs/job-payloads.ts";
import type { JobHandler } from "../jobs/job-runner.ts";
import { reconcileHandler, scheduledBillingHandler, serverPollHandler } from "./scheduled-tasks.ts";

// Every job kind: its payload (job-payloads.ts), how often it is tried, how long an attempt may take, and
// its handler. `outbox` kinds are written by changes and run by every job runner (createJobRunner);
// `scheduled` kinds are written by a schedule's firing (schedules.ts) and run by the schedules' runner.
// A handler factory returns undefined where this process cannot run the kind (not configured): its jobs
// wait in the outbox for a runner that can.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Retried with the runner's capped backoff until done or a permanent failure. */
const UNTIL_DONE: RetryPolicy = {};
/** One attempt: the schedule's next slot is the retry. */
const ONCE: RetryPolicy = { maxAttempts: 1 };

export type JobGroup = "outbox" | "scheduled";

/** What a process sends through besides its context, given by whoever starts its runner (server.ts). */
export interface JobOutlets {
  /** Where portal login and reset links go; a runner without it leaves those jobs to `serve`'s. */
  portalMailer?: PortalMailer | undefined;
}

interface JobDefinition<S extends z.ZodType> {
  payload: S;
  retry: RetryPolicy;
  timeoutMs: number;
  group: JobGroup;
  handler(ctx: ServiceContext, outlets: JobOutlets): JobHandler<z.output<S>> | undefined;
}

function defineJob<S extends z.ZodType>(definition: JobDefinition<S>) {
  return {
    ...definition,
    /** The kind ready for a runner in this context, or undefined while it cannot run here. */
    bind(ctx: ServiceContext, outlets: JobOutlets = {}): RunnableKind | undefined {
      const handler = definition.handler(ctx, outlets);
      return handler && runnableKind(definition, handler);
    },
  };
}

export const JOB_CATALOG = {
  "solusio.sync_customer": defineJob({
    payload: SyncCustomerPayload,
    retry: UNTIL_DONE,
    timeoutMs: 15 * MINUTE,
    group: "outbox",
    handler: (ctx) => {
      const solusio = ctx.solusio;
      if (!solusio) return undefined;
      return syncCustomerHandler({
        db: ctx.db,
        api: solusio.connection.api,
        logger: ctx.logger,
        limitGroupId: solusio.limitGroupId,
        // Never sync into another SolusIO than the database's own: the job fails and waits for a fix.
        beforeEach: (signal) => ensureBound(ctx.db, solusio.connection, signal),
      });
    },
  }),
  "invoice.event": defineJob({
    payload: InvoiceEventPayload,
    retry: UNTIL_DONE,
    timeoutMs: 5 * MINUTE,
    group: "outbox",
    handler: (ctx) => invoiceEventHandler(ctx),
  }),
  "invoice.email": defineJob({
    payload: InvoiceEmailPayload,
    retry: UNTIL_DONE,
    timeoutMs: 5 * MINUTE,
    group: "outbox",
    handler: (ctx) => {
      const smtp = smtpSettingsOf(ctx.config);
      return smtp && invoiceEmailHandler({ ...ctx, smtp });
    },
  }),
  "invoice.webhook": defineJob({
    payload: InvoiceWebhookPayload,
    retry: UNTIL_DONE,
    // Each attempt is one POST with its own 10 s limit (post-webhook.ts).
    timeoutMs: 2 * MINUTE,
    group: "outbox",
    handler: (ctx) => (ctx.config.WEBHOOK_URLS.length > 0 ? invoiceWebhookHandler(ctx) : undefined),
  }),
  "billing.scheduled_run": defineJob({
    payload: ScheduledBillingPayload,
    // A failed run is tried again an hour later, as long as its period is the one due.
    retry: { backoffBaseMs: HOUR, backoffCapMs: HOUR },
    // Past this the run goes on, and the next attempt finds it running (or completed).
    timeoutMs: 6 * HOUR,
    group: "scheduled",
    handler: (ctx) => scheduledBillingHandler(ctx),
  }),
  "solusio.poll_servers": defineJob({
    payload: NoPayload,
    retry: ONCE,
    timeoutMs: 30 * MINUTE,
    group: "scheduled",
    handler: (ctx) => ctx.solusio && serverPollHandler(ctx, ctx.solusio),
  }),
  "solusio.reconcile": defineJob({
    payload: NoPayload,
    retry: ONCE,
    timeoutMs: 30 * MINUTE,
    group: "scheduled",
    handler: (ctx) => ctx.solusio && reconcileHandler(ctx, ctx.solusio),
  }),
  // Dunning (billing-rules §8, src/billing/dunning).
  "dunning.evaluate": defineJob({
    payload: DunningEvaluatePayload,
    retry: UNTIL_DONE,
    timeoutMs: 5 * MINUTE,
    group: "outbox",
    handler: (ctx) => dunningEvaluateHandler(ctx),
  }),
  "dunning.scheduled_run": defineJob({
    payload: NoPayload,
    retry: ONCE,
    timeoutMs: HOUR,
    group: "scheduled",
    handler: (ctx) => dunningScheduledHandler(ctx),
  }),
  "dunning.email": defineJob({
    payload: DunningEmailPayload,
    retry: UNTIL_DONE,
    timeoutMs: 5 * MINUTE,
    group: "outbox",
    // Without SMTP_HOST no such job is written (the step records that no mail was sent).
    handler: (ctx) => {
      const smtp = smtpSettingsOf(ctx.config);
      const seller = sellerOf(ctx.config);
      return (
        smtp && dunningEmailHandler({ ...ctx, smtp, seller: { name: seller.name, email: seller.email } })
      );
    },
  }),
  "portal.link_email": defineJob({
    payload: PortalLinkEmailPayload,
    // A link that comes later than its reader waits is worse than none (they ask again): about four
    // minutes of retries, then the job fails. Each attempt mints a fresh token (portal-link-mail.ts).
    retry: { maxAttempts: 5, backoffBaseMs: 15_000, backoffCapMs: 2 * MINUTE },
    timeoutMs: 2 * MINUTE,
    group: "outbox",
    // Only `serve` passes a mailer: a command draining the outbox (reconcile --fix) would send the
    // sandbox's links to a log nobody reads.
    handler: (ctx, outlets) => outlets.portalMailer && portalLinkEmailHandler(ctx, outlets.portalMailer),
  }),
  "credit_note.refund": defineJob({
    payload: CreditNoteRefundPayload,
    // Twelve attempts over about 10 hours (1 min doubling up to 2 h), well inside the 24 hours Stripe keeps a refund's
    // idempotency key: every attempt is answered with the one refund. Then the job fails and the reservation
    // stays pending, holding its credit, for staff to release (credit-note-refund.ts).
    retry: { maxAttempts: 12, backoffBaseMs: MINUTE, backoffCapMs: 2 * HOUR },
    timeoutMs: 5 * MINUTE,
    group: "outbox",
    handler: (ctx) => creditNoteRefundHandler(ctx),
  }),
  "refund.look_up_ended_reservation": defineJob({
    payload: EndedReservationLookUpPayload,
    // One request, safe to repeat (what it finds is recorded once): tried as the note's refund is, then failed
    // for staff, whose retry looks again.
    retry: { maxAttempts: 12, backoffBaseMs: MINUTE, backoffCapMs: 2 * HOUR },
    timeoutMs: 5 * MINUTE,
    group: "outbox",
    handler: (ctx) => endedReservationLookUpHandler(ctx),
  }),
  "refund.look_up_charge": defineJob({
    payload: ChargeRefundsLookUpPayload,
    // A read of the charge's refunds, each applied once (forward only): safe to repeat, tried as the ended
    // reservation's look-up is, then failed for staff, whose retry looks again.
    retry: { maxAttempts: 12, backoffBaseMs: MINUTE, backoffCapMs: 2 * HOUR },
    timeoutMs: 5 * MINUTE,
    group: "outbox",
    handler: (ctx) => chargeRefundsLookUpHandler(ctx),
  }),
} satisfies { [K in JobKind]: { payload: (typeof JOB_PAYLOADS)[K] } };

/** The kinds of one group that can run in this context, for a JobRunner. */
export function runnableKinds(
  ctx: ServiceContext,
  group: JobGroup,
  outlets: JobOutlets = {},
): Record<string, RunnableKind> {
  const kinds: Record<string, RunnableKind> = {};
  for (const [kind, definition] of Object.entries(JOB_CATALOG)) {
    if (definition.group !== group) continue;
    const runnable = definition.bind(ctx, outlets);
    if (runnable) kinds[kind] = runnable;
  }
  return kinds;
}
