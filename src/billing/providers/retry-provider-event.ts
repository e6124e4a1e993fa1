import { z } from "zod";
import { storedErrorText } from "../../db/stored-error-text.ts";
import { recordAudit } from "../../kernel/audit.ts";
import { ServiceError, UpstreamError } from "../../kernel/errors.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { storedErrorWords } from "../../services/setup/stored-error-words.ts";
import { BILLING_ROLES, requireStaffRole, seesWhereSystemsAre } from "../../services/staff/staff-roles.ts";
import { type EventOutcome, ProviderEventFailed, processStoredEvent } from "./process-provider-event.ts";
import { ONLINE_PAYMENTS_OFF, paymentProviderOf } from "./provider-from-config.ts";

// A staff retry of a payment provider event stored failing (docs/payments-stripe.md, "What the webhook does",
// step 4): once the cause is mended, the stored copy is processed again by the code a delivery runs
// (processStoredEvent), so a retry and a delivery of one event at once lock the same row and process it once.
// Only verified events were ever stored (the webhook stores nothing it could not verify), so the copy is trusted
// as the delivery was. Until 2026-12-07 only the provider's next delivery could do it (Stripe's for three days,
// then the Dashboard's Resend).

export const ProviderEventParams = z.object({
  provider: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,31}$/, "must be a payment provider's name (stripe)")
    .meta({ description: "the payment provider that sent the event (stripe)" }),
  event_id: z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, "must be the provider's id of an event (evt_…)")
    .meta({ description: "the provider's id of the event (evt_…), as the failing events list names it" }),
});
export type ProviderEventParams = z.output<typeof ProviderEventParams>;

export const RetriedProviderEvent = z.object({
  provider: z.string(),
  event_id: z.string(),
  type: z.string(),
  outcome: z.enum(["processed", "ignored", "duplicate"]).meta({
    description:
      "processed: the books changed; ignored: processed, nothing in the books changed; duplicate: it was processed already (by a delivery, or an earlier retry), and nothing changed",
  }),
});
export type RetriedProviderEvent = z.output<typeof RetriedProviderEvent>;

/**
 * Processes a stored event again (billing and above: it moves money). A processed one answers `duplicate` and
 * changes nothing (audited only when it was processed meanwhile, as the retry ran); one that fails again stays
 * failing with the new reason and is refused 409 saying it (the books as they stand do not take it: asking
 * again unchanged fails alike until its cause is mended), but an outage of the database stays the 503 it is
 * everywhere. Audited: who retried, with what outcome.
 */
export const retryProviderEvent = defineVerb(
  ProviderEventParams,
  async ({ ctx, input }): Promise<RetriedProviderEvent> => {
    const seesWhere = seesWhereSystemsAre(ctx, await requireStaffRole(ctx, ...BILLING_ROLES));
    const named = `payment provider event ${input.provider} ${input.event_id}`;
    const stored = await ctx.db
      .selectFrom("provider_event")
      .select(["type", "payload", "processed_at", "error"])
      .where("provider", "=", input.provider)
      .where("event_id", "=", input.event_id)
      .executeTakeFirst();
    if (!stored) throw ServiceError.notFound(named);
    const answer = (outcome: EventOutcome) => ({ ...input, type: stored.type, outcome });
    if (stored.processed_at !== null) return answer("duplicate");
    const provider = await paymentProviderOf(ctx.config);
    if (!provider) throw new ServiceError("CONFLICT", `${named} is not retried: ${ONLINE_PAYMENTS_OFF}`);
    if (provider.name !== input.provider)
      throw new ServiceError(
        "CONFLICT",
        `${named} is not retried: ${input.provider} is not the payment provider configured`,
      );
    const audit = (trx: typeof ctx.db, outcome: EventOutcome | "failed") =>
      recordAudit(trx, ctx, {
        action: "update",
        entity: "provider_event",
        entityId: `${input.provider}/${input.event_id}`,
        before: { type: stored.type, processed: false },
        after: { retried: true, outcome },
      });
    const event = { id: input.event_id, type: stored.type, payload: stored.payload };
    let outcome: EventOutcome;
    try {
      outcome = await processStoredEvent(ctx, provider, event, (trx, outcome) => audit(trx, outcome));
    } catch (error) {
      if (!(error instanceof ProviderEventFailed)) throw error;
      const cause = error.cause;
      // Its stored reason is written already (processStoredEvent); the retry that failed is audited by itself.
      await audit(ctx.db, "failed");
      const outage =
        cause instanceof UpstreamError ||
        (cause instanceof ServiceError && cause.code === "UPSTREAM_UNAVAILABLE");
      if (outage) throw cause;
      const reason = storedErrorText(String((cause as Error)?.message ?? cause), 2000);
      throw new ServiceError(
        "CONFLICT",
        `${named} (${stored.type}) failed again and stays stored failing: ${storedErrorWords(reason, seesWhere)}`,
      );
    }
    // Unprocessed when asked, processed by a delivery by the time it ran (found so under the row's lock, or
    // after its own processing failed): the retry ran, so it is audited as "failed" would be, outside.
    if (outcome === "duplicate") await audit(ctx.db, "duplicate");
    return answer(outcome);
  },
);
