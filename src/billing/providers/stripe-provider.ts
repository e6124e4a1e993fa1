import Stripe from "stripe";
import { z } from "zod";
import "../../kernel/plain-zod-wording.ts";
import { replaceUnshowableIn } from "../../kernel/clean-text.ts";
import { ServiceError, UpstreamError } from "../../kernel/errors.ts";
import type {
  CheckoutQuote,
  CheckoutRequest,
  CheckoutSession,
  FoundRefund,
  MoneyUnit,
  PaymentProvider,
  ProviderFact,
  ProviderRefund,
  ProviderRefundStatus,
  RefundChanged,
  RefundLookup,
  RefundRequest,
  VerifiedEvent,
} from "./payment-provider.ts";
import { ProviderNotCarriedOutError, ProviderOutcomeUnknownError } from "./payment-provider.ts";
import { retryAfterMs } from "../../kernel/retry-after.ts";
import {
  exactStripeAmountOf,
  stripeAmountIn,
  stripeChargeOf,
  stripeMinimumIn,
  stripeMinimumOf,
  stripeStepIn,
} from "./stripe-amounts.ts";

// Stripe behind the PaymentProvider interface, through the official SDK only: Checkout Sessions for an
// invoice's amount due, refunds of PaymentIntents, and the SDK's own webhook signature check
// (stripe.webhooks.constructEvent). tokenbill's minor units are turned into Stripe's "smallest currency unit"
// and back by stripe-amounts.ts (ISK, the three-decimal currencies, a currency configured finer than Stripe's).

export interface StripeProviderOptions {
  secretKey: string;
  webhookSecret: string;
  /** Instead of https://api.stripe.com: tests point the SDK at a local fake of the API. */
  apiUrl?: string | undefined;
  successUrl?: string | undefined;
  cancelUrl?: string | undefined;
}

/** Stripe's amounts are JSON numbers: beyond 2^53 they are not exact, and Stripe refuses far less anyway. */
function toStripeAmount(amount: bigint, field: string): number {
  if (amount <= 0n || amount > BigInt(Number.MAX_SAFE_INTEGER))
    throw ServiceError.validation(field, "must be a positive amount Stripe can take");
  return Number(amount);
}

/** The SDK's host/port/protocol options from one URL. */
function endpointOptions(apiUrl: string | undefined): Partial<Stripe.StripeConfig> {
  if (!apiUrl) return {};
  const url = new URL(apiUrl);
  const protocol = url.protocol === "http:" ? "http" : "https";
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === "http" ? 80 : 443,
    protocol,
  };
}

/**
 * A failed SDK call in tokenbill's terms: Stripe's refusal of the request is a conflict, anything else upstream.
 * Stripe's word on an idempotency key is no refusal: a 409 says another request with the key is still running
 * (the SDK has retried it twice), an idempotency_error that the key's first request, with other parameters,
 * ran. Either request may make what was asked; until 2026-12-06 both were read as "nothing was done".
 */
function asTokenbillError(error: unknown, what: string): Error {
  if (error instanceof Stripe.errors.StripeError) {
    const status = error.statusCode ?? null;
    if (status === 409 || error.type === "StripeIdempotencyError" || error.rawType === "idempotency_error")
      return new ProviderOutcomeUnknownError(
        "Stripe",
        `did not say whether it could ${what}: ${error.message}`,
        status,
        true,
      );
    // A rate limit (429, or a 400 `rate_limit`, which the SDK also types so) or our key refused (401) or too
    // weak (403): Stripe did nothing and kept nothing under the idempotency key, so asking again later is safe.
    if (error.type === "StripeRateLimitError")
      return new ProviderNotCarriedOutError(
        "Stripe",
        `could not ${what}: rate-limited: ${error.message}`,
        status,
        "rate_limited",
        retryAfterMs(error.headers?.["retry-after"]),
      );
    if (error.type === "StripeAuthenticationError" || error.type === "StripePermissionError")
      return new ProviderNotCarriedOutError(
        "Stripe",
        `could not ${what}: Stripe refused tokenbill's secret key (STRIPE_SECRET_KEY): ${error.message}`,
        status,
        "key_refused",
        undefined,
      );
    if (error.type === "StripeInvalidRequestError" || error.type === "StripeCardError")
      return new ServiceError("CONFLICT", `Stripe refused to ${what}: ${error.message}`);
    const retryable =
      status === null || status >= 500 || status === 429 || error.type === "StripeConnectionError";
    return new UpstreamError("Stripe", `could not ${what}: ${error.message}`, status, retryable);
  }
  return error instanceof Error ? error : new Error(String(error));
}

function refundStatus(status: string | null | undefined): ProviderRefundStatus {
  if (status === "succeeded") return "succeeded";
  if (status === "failed" || status === "canceled") return "failed";
  return "pending"; // pending, requires_action
}

const idOf = z.union([z.string(), z.object({ id: z.string() }).transform((o) => o.id)]);

const SessionObject = z.object({
  id: z.string(),
  mode: z.string().optional(),
  payment_status: z.string(),
  payment_intent: idOf.nullable().optional(),
  amount_total: z.number().int().nullable(),
  currency: z.string().nullable(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  client_reference_id: z.string().nullable().optional(),
});

const RefundObject = z.object({
  id: z.string(),
  amount: z.number().int(),
  status: z.string().nullable().optional(),
  payment_intent: idOf.nullable().optional(),
  reason: z.string().nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
});

const ChargeObject = z.object({
  payment_intent: idOf.nullable().optional(),
  refunds: z
    .object({ data: z.array(RefundObject) })
    .nullable()
    .optional(),
});

const EventEnvelope = z.object({
  id: z.string(),
  type: z.string(),
  created: z.number().int(),
  data: z.object({ object: z.unknown() }),
});

export class StripeProvider implements PaymentProvider {
  readonly name = "stripe";
  private readonly stripe: Stripe;

  constructor(private readonly options: StripeProviderOptions) {
    this.stripe = new Stripe(options.secretKey, {
      ...endpointOptions(options.apiUrl),
      // The SDK retries with an idempotency key of its own, so a retried create is never a second session.
      maxNetworkRetries: 2,
      timeout: 20_000,
      appInfo: { name: "tokenbill" },
    });
  }

  async createCheckout({ invoice, amount, currency, exponent }: CheckoutRequest): Promise<CheckoutSession> {
    const unit = { code: currency, exponent };
    const charge = stripeChargeOf(amount, unit);
    // Stripe refuses a session below its minimum (amount_too_small): start-checkout.ts says so before this.
    if (this.checkoutQuote(amount, unit).belowMinimum)
      throw new ServiceError(
        "CONFLICT",
        `${amount} minor units of ${currency} is below Stripe's minimum charge`,
      );
    const metadata = { invoice_id: invoice.id, customer_id: String(invoice.customerId) };
    const label = invoice.number ? `Invoice ${invoice.number}` : `Invoice ${invoice.id}`;
    try {
      const session = await this.stripe.checkout.sessions.create({
        mode: "payment",
        client_reference_id: invoice.id,
        customer_email: invoice.customerEmail,
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: currency.toLowerCase(),
              unit_amount: toStripeAmount(charge, "amount"),
              product_data: { name: label },
            },
          },
        ],
        metadata,
        // The PaymentIntent carries the invoice too, so it is found from Stripe's Dashboard.
        payment_intent_data: { metadata, description: label },
        ...(this.options.successUrl ? { success_url: this.options.successUrl } : {}),
        ...(this.options.cancelUrl ? { cancel_url: this.options.cancelUrl } : {}),
      });
      if (!session.url) throw new UpstreamError("Stripe", "the Checkout Session has no url", null, false);
      // Stripe's unit is never finer than tokenbill's after rounding up, so the charge is whole minor units.
      return { id: session.id, url: session.url, amount: stripeAmountIn(charge, unit) ?? amount };
    } catch (error) {
      throw asTokenbillError(error, "create a Checkout Session");
    }
  }

  async refund({
    paymentRef,
    amount,
    currency,
    reason,
    paymentId,
    refundId,
  }: RefundRequest): Promise<ProviderRefund> {
    const refusal = this.refundRefusal(amount, currency);
    if (refusal !== null) throw ServiceError.validation("amount", refusal);
    const stripeAmount = exactStripeAmountOf(amount, currency) ?? amount;
    try {
      const refund = await this.stripe.refunds.create(
        {
          payment_intent: paymentRef,
          amount: toStripeAmount(stripeAmount, "amount"),
          // Marks the refund as made by tokenbill: its webhook then settles the reserved row, never a second one.
          metadata: {
            tokenbill_payment_id: paymentId,
            tokenbill_refund_id: refundId,
            ...(reason ? { reason: reason.slice(0, 500) } : {}),
          },
        },
        // One reserved row is one refund in Stripe, however often the request is sent.
        { idempotencyKey: `tokenbill-${refundId}` },
      );
      return { id: refund.id, status: refundStatus(refund.status) };
    } catch (error) {
      throw asTokenbillError(error, "refund the payment");
    }
  }

  /**
   * The refund Stripe made for the reservation: the linked one, else the one of the payment's refunds naming
   * it in its metadata. Several can name it: the request's own, a second one made when the request was sent
   * again after Stripe forgot its idempotency key (24 hours), one made by hand in the Dashboard with the
   * metadata copied. The reservation's own is the one for the amount reserved (Stripe makes a request's refund
   * for the amount asked or not at all) that did not fail, the oldest first (the first request's); only
   * without one is another taken. Until 2026-12-07 it was the first listed, Stripe's newest: a Dashboard
   * refund of another amount made after ours ended the reservation as released, and ours, recorded apart,
   * read as a refund of the payment. The others come with it (`others`), to be recorded as
   * refunds of the payment as their webhooks would record them (applyFoundRefund): until 2026-12-07 only
   * their own webhooks recorded them, and a webhook lost left money the card got out of the books.
   */
  async findRefund({
    paymentRef,
    refundId,
    providerRefundId,
    reserved,
  }: RefundLookup): Promise<FoundRefund | null> {
    try {
      if (providerRefundId !== null) {
        const refund = await this.stripe.refunds.retrieve(providerRefundId);
        const fact = factOf(RefundObject.parse(refund), paymentRef);
        return fact === null ? null : { ...fact, others: [] };
      }
      // Refunds carry no searchable field: the payment's refunds are few, and ours name the reservation.
      const naming: z.output<typeof RefundObject>[] = [];
      for await (const refund of this.stripe.refunds.list({ payment_intent: paymentRef, limit: 100 })) {
        if (refund.metadata?.["tokenbill_refund_id"] === refundId) naming.push(RefundObject.parse(refund));
      }
      // Listed newest first: oldest first from here, and sorted stably by how surely each is ours.
      const amount = exactStripeAmountOf(reserved.amount, reserved.currency) ?? reserved.amount;
      const rank = (r: z.output<typeof RefundObject>) =>
        (BigInt(r.amount) === amount ? 0 : 2) + (refundStatus(r.status) === "failed" ? 1 : 0);
      const [ours, ...others] = naming
        .reverse()
        .sort((a, b) => rank(a) - rank(b))
        .flatMap((r) => factOf(r, paymentRef) ?? []);
      return ours === undefined ? null : { ...ours, others };
    } catch (error) {
      if (error instanceof Stripe.errors.StripeError && error.statusCode === 404) return null;
      throw asTokenbillError(error, "look up the refund");
    }
  }

  /**
   * Every page of the PaymentIntent's refunds (the SDK's auto-pagination follows `has_more`), oldest first:
   * Stripe lists them newest first.
   */
  async listRefunds(paymentRef: string): Promise<RefundChanged[]> {
    try {
      const listed: z.output<typeof RefundObject>[] = [];
      for await (const refund of this.stripe.refunds.list({ payment_intent: paymentRef, limit: 100 }))
        listed.push(RefundObject.parse(refund));
      return listed.reverse().flatMap((r) => factOf(r, paymentRef) ?? []);
    } catch (error) {
      throw asTokenbillError(error, "list the charge's refunds");
    }
  }

  parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): VerifiedEvent {
    const signature = headers["stripe-signature"];
    if (typeof signature !== "string" || signature === "")
      throw ServiceError.validation("stripe-signature", "the Stripe-Signature header is missing");
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signature, this.options.webhookSecret);
    } catch (error) {
      // Only the SDK's verdict counts; its message says which check failed (timestamp, signature).
      throw ServiceError.validation("stripe-signature", (error as Error).message);
    }
    // Signed with the secret, yet not an event (a test sent by hand): refused, not stored as one that failed.
    const parsed: unknown = event;
    if (
      parsed === null ||
      typeof parsed !== "object" ||
      typeof (parsed as { id?: unknown }).id !== "string" ||
      typeof (parsed as { type?: unknown }).type !== "string"
    )
      throw ServiceError.validation("body", "not a Stripe event: it has no id or type");
    // Signed by Stripe, but written in part by others: what a paying customer typed in Checkout, metadata
    // set in the Dashboard. A NUL anywhere made PostgreSQL refuse to store the event, every delivery was a
    // 500, and the payment was never recorded; so the event is made storable as it arrives, before anything
    // reads it.
    const payload = replaceUnshowableIn(JSON.parse(rawBody.toString("utf8")));
    return { id: event.id, type: event.type, payload };
  }

  checkoutQuote(amount: bigint, currency: MoneyUnit): CheckoutQuote {
    const charge = stripeChargeOf(amount, currency);
    const minimum = stripeMinimumOf(currency.code);
    return {
      // Stripe's unit is never finer than tokenbill's after rounding up, so the charge is whole minor units.
      charge: stripeAmountIn(charge, currency) ?? amount,
      minimum: stripeMinimumIn(currency),
      // Compared in Stripe's units, as Stripe compares.
      belowMinimum: minimum !== null && charge < minimum,
    };
  }

  refundRefusal(amount: bigint, currency: MoneyUnit): string | null {
    if (exactStripeAmountOf(amount, currency) !== null) return null;
    const step = stripeStepIn(currency);
    const digits = String(step).padStart(currency.exponent + 1, "0");
    const inUnits =
      currency.exponent === 0
        ? digits
        : `${digits.slice(0, -currency.exponent)}.${digits.slice(-currency.exponent)}`;
    return `Stripe refunds ${currency.code} only in multiples of ${step} (minor units; ${inUnits} ${currency.code})`;
  }

  refundableUpTo(amount: bigint, currency: MoneyUnit): bigint {
    return amount - (amount % stripeStepIn(currency));
  }

  amountFromProvider(amount: bigint, currency: MoneyUnit): bigint | null {
    return stripeAmountIn(amount, currency);
  }

  interpret(event: VerifiedEvent): ProviderFact[] {
    const envelope = EventEnvelope.parse(event.payload);
    const at = new Date(envelope.created * 1000);
    switch (envelope.type) {
      case "checkout.session.completed":
      case "checkout.session.async_payment_succeeded": {
        const session = SessionObject.parse(envelope.data.object);
        // A delayed payment method completes the session unpaid: its async_payment_succeeded event pays it.
        if (session.payment_status !== "paid" || (session.mode && session.mode !== "payment")) return [];
        if (!session.payment_intent || session.amount_total === null || !session.currency)
          throw new ServiceError(
            "VALIDATION",
            `Checkout Session ${session.id} has no payment intent or amount`,
          );
        return [
          {
            kind: "payment_succeeded",
            paymentRef: session.payment_intent,
            checkoutId: session.id,
            invoiceId: session.metadata?.["invoice_id"] ?? session.client_reference_id ?? undefined,
            amount: BigInt(session.amount_total),
            currency: session.currency.toUpperCase(),
            paidAt: at,
          },
        ];
      }
      case "refund.created":
      case "refund.updated":
      case "refund.failed":
        return refundFacts([RefundObject.parse(envelope.data.object)], undefined);
      case "charge.refunded": {
        // Since API version 2022-11-15 a charge no longer embeds its refunds: then refund.* events carry them.
        const charge = ChargeObject.parse(envelope.data.object);
        return refundFacts(charge.refunds?.data ?? [], charge.payment_intent ?? undefined);
      }
      default:
        return [];
    }
  }
}

function factOf(refund: z.output<typeof RefundObject>, paymentRef: string): RefundChanged | null {
  const [fact] = refundFacts([refund], paymentRef);
  return fact?.kind === "refund_changed" ? fact : null;
}

function refundFacts(
  refunds: z.output<typeof RefundObject>[],
  paymentIntent: string | undefined,
): ProviderFact[] {
  return refunds.flatMap((refund) => {
    const paymentRef = refund.payment_intent ?? paymentIntent;
    if (!paymentRef) return [];
    return [
      {
        kind: "refund_changed" as const,
        refundRef: refund.id,
        paymentRef,
        amount: BigInt(refund.amount),
        status: refundStatus(refund.status),
        reason: refund.metadata?.["reason"] ?? refund.reason ?? "refunded in Stripe",
        tokenbillRefundId: refund.metadata?.["tokenbill_refund_id"],
      },
    ];
  });
}
