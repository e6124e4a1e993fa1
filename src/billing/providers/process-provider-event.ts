import { storedErrorText } from "../../db/stored-error-text.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { jsonText } from "../../kernel/json.ts";
import type { TxContext } from "../../kernel/transaction.ts";
import { invoiceAmountDue } from "../ledger/ledger.ts";
import { recordPaymentIn } from "../payments/record-payment.ts";
import { amountInTokenbill, applyRefundFact, paymentOf } from "./apply-refund-fact.ts";
import type { PaymentProvider, PaymentSucceeded, VerifiedEvent } from "./payment-provider.ts";
import { chargeLookUpFor } from "./refund-beyond-payment.ts";

// What a provider's verified webhook does (issue 11 item 4). The event is stored first, in its own
// statement, once per (provider, event id); then it is processed in the same request, in one transaction
// that locks its row, so two deliveries of one event at once process it once. A processed event seen again
// changes nothing, and so does one that failed while another processed it. A failed one keeps its row with
// `error` and the caller answers 5xx: the provider sends it again later, and that delivery processes it
// (processing in the request keeps "Stripe retries" as the one retry mechanism, with Stripe's own backoff over
// three days, and needs no job kind).

export type EventOutcome = "processed" | "ignored" | "duplicate";

/** Processing failed after the event was stored: answered 5xx so the provider retries. */
export class ProviderEventFailed extends Error {
  constructor(
    readonly eventId: string,
    cause: unknown,
  ) {
    super(`event ${eventId} is stored but failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = "ProviderEventFailed";
  }
}

/** `ctx.db` must be the pool, not an open transaction: the stored row must outlive a failed processing. */
export async function processProviderEvent(
  ctx: ServiceContext,
  provider: PaymentProvider,
  event: VerifiedEvent,
): Promise<EventOutcome> {
  await ctx.db
    .insertInto("provider_event")
    .values({
      provider: provider.name,
      event_id: event.id,
      type: event.type,
      payload: jsonText(event.payload),
    })
    .onConflict((oc) => oc.columns(["provider", "event_id"]).doNothing())
    .execute();
  return processStoredEvent(ctx, provider, event);
}

/** What a staff retry writes beside the processing, in its transaction (its audit row). */
export type AlongsideProcessing = (trx: TxContext["db"], outcome: "processed" | "ignored") => Promise<void>;

/**
 * Processes an event already stored: a delivery's (processProviderEvent) or, on a staff retry, the stored copy
 * (retry-provider-event.ts). One code path for both, so a retry and a delivery of one event at once lock the
 * same row and process it once. `alongside` runs in the transaction that sets processed_at. `ctx.db` must be
 * the pool, as above.
 */
export async function processStoredEvent(
  ctx: ServiceContext,
  provider: PaymentProvider,
  event: VerifiedEvent,
  alongside?: AlongsideProcessing,
): Promise<EventOutcome> {
  const key = { provider: provider.name, event_id: event.id };
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom("provider_event")
        .select("processed_at")
        .where("provider", "=", key.provider)
        .where("event_id", "=", key.event_id)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (row.processed_at !== null) return "duplicate";
      const tx: TxContext = { ...ctx, db: trx, actor: actors.webhook(provider.name) };
      let changed = false;
      for (const fact of provider.interpret(event)) {
        const applied =
          fact.kind === "payment_succeeded"
            ? await applyPayment(tx, provider, fact)
            : await applyRefundFact(tx, provider, fact);
        changed ||= applied;
      }
      await trx
        .updateTable("provider_event")
        .set({ processed_at: ctx.now(), error: null })
        .where("provider", "=", key.provider)
        .where("event_id", "=", key.event_id)
        .execute();
      // "ignored": nothing in the books changed (an event tokenbill does not act on, a payment or refund state
      // it already had, a checkout that is not its own).
      const outcome = changed ? "processed" : "ignored";
      await alongside?.(trx, outcome);
      return outcome;
    });
  } catch (caught) {
    // A refund no ending of reservations makes room for queues a look-up of its charge (refund-beyond-payment.ts).
    const error = await chargeLookUpFor(ctx, caught, "event");
    const logged = { err: error, provider: provider.name, eventId: event.id };
    // Only while still unprocessed: a delivery or a retry that processed it meanwhile (after this one's
    // transaction rolled back) left it processed, and a reason written over that would list it as failing.
    const written = await ctx.db
      .updateTable("provider_event")
      .set({ error: storedErrorText(String((error as Error)?.message ?? error), 2000) })
      .where("provider", "=", key.provider)
      .where("event_id", "=", key.event_id)
      .where("processed_at", "is", null)
      .executeTakeFirst();
    if (written.numUpdatedRows === 0n && (await isProcessed(ctx, key))) {
      // The event is in the books (its cause was mended between the two), so this one answers as a duplicate
      // does: a failure told here would have staff retry, and the provider deliver, an event processed.
      ctx.logger.info(logged, "provider event failed here but was processed meanwhile: a duplicate");
      return "duplicate";
    }
    ctx.logger.error(logged, "provider event failed");
    throw new ProviderEventFailed(event.id, error);
  }
}

async function isProcessed(ctx: ServiceContext, key: { provider: string; event_id: string }) {
  const row = await ctx.db
    .selectFrom("provider_event")
    .select("processed_at")
    .where("provider", "=", key.provider)
    .where("event_id", "=", key.event_id)
    .executeTakeFirst();
  return row !== undefined && row.processed_at !== null;
}

/** Records the payment a checkout brought in; false when it changed nothing. */
async function applyPayment(
  tx: TxContext,
  provider: PaymentProvider,
  fact: PaymentSucceeded,
): Promise<boolean> {
  // The same PaymentIntent told again (a session's completed and async_payment_succeeded events both saying
  // paid, an event re-sent under a new id) is the payment already recorded. Routed anew, it could name a
  // different target (the invoice is settled now, so the customer), which recordPayment refuses as another
  // payment with the same reference: a 500 on every delivery for three days, until Stripe disables the
  // endpoint with every later event of ours.
  const recorded = await paymentOf(tx, provider, fact.paymentRef);
  if (recorded) return false;
  const checkout = await tx.db
    .selectFrom("checkout_session")
    .select("invoice_id")
    .where("id", "=", fact.checkoutId)
    .where("provider", "=", provider.name)
    .executeTakeFirst();
  // Our own session names its invoice; a session made elsewhere on the same account is not ours to record.
  const invoiceId = checkout?.invoice_id ?? fact.invoiceId;
  if (!invoiceId) {
    tx.logger.info({ checkout: fact.checkoutId }, "checkout without a tokenbill invoice: ignored");
    return false;
  }
  const invoice = await tx.db
    .selectFrom("invoice")
    .select(["id", "customer_id", "status", "currency_code"])
    .where("id", "=", invoiceId)
    .executeTakeFirst();
  if (!invoice) {
    // Only a session of ours surely names one of our invoices (its checkout_session row, by foreign key). A
    // session paid on the same Stripe account for something else can name anything (another shop's
    // client_reference_id, another tokenbill's invoice): failing it answered 500 for days, and Stripe
    // disables an endpoint that keeps failing, with every later event of ours.
    tx.logger.info({ checkout: fact.checkoutId, invoiceId }, "checkout for an invoice not ours: ignored");
    return false;
  }
  if (fact.currency.toUpperCase() !== invoice.currency_code) {
    // Money in another currency than the invoice's (a Payment Link made in Stripe's Dashboard with our
    // invoice's id, a session of Adaptive Pricing) cannot be recorded against it or as the customer's credit,
    // which is kept in the customer's currency. Refused, it answered 500 on every delivery, and Stripe
    // disables an endpoint that keeps failing (until 2026-12-06). Kept for staff to settle in Stripe.
    tx.logger.error(
      {
        checkout: fact.checkoutId,
        invoiceId,
        currency: fact.currency,
        invoiceCurrency: invoice.currency_code,
      },
      "checkout paid in another currency than its invoice's: not recorded; refund it in Stripe or record it by hand",
    );
    return false;
  }
  const amount = await amountInTokenbill(tx, provider, fact.amount, invoice.currency_code);
  if (amount === null) {
    // Stripe's unit is never finer than tokenbill's for the sessions tokenbill makes; one made elsewhere, in a
    // currency configured coarser than Stripe's (JPY at no decimals against …), is not a whole amount here.
    tx.logger.error(
      { checkout: fact.checkoutId, invoiceId, amount: String(fact.amount), currency: fact.currency },
      "checkout paid an amount that is not a whole number of the currency's minor units: not recorded; refund it in Stripe or record it by hand",
    );
    return false;
  }
  const payment = {
    amount,
    currency: fact.currency,
    method: provider.name,
    reference: fact.paymentRef,
    paid_at: fact.paidAt,
  };
  // Money that came in is always recorded: when the invoice was settled meanwhile (a bank transfer, a second
  // session), the payment goes to the customer's oldest open invoices, then to credit (billing-rules §7).
  const due = invoice.status === "void" ? 0n : await invoiceAmountDue(tx.db, invoice.id);
  await recordPaymentIn(
    tx.db,
    tx,
    due > 0n ? { ...payment, invoice_id: invoice.id } : { ...payment, customer_id: invoice.customer_id },
  );
  return true;
}
