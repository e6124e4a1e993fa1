import { UpstreamError } from "../../kernel/errors.ts";

// A payment provider takes card payments for tokenbill (issue 11 item 4). The interface is what the rest of
// tokenbill knows of one: Stripe is an adapter (stripe-provider.ts); a second provider is another adapter
// and nothing else changes. What a provider's webhook says is translated by the adapter into provider-neutral
// facts (`interpret`), which process-provider-event.ts applies to the ledger through the payments verbs.

/**
 * A provider's answer that says nothing of what became of the request, though it is a 4xx: Stripe's 409 for
 * an idempotency key whose first request is still running, and its 400 idempotency_error for a key first used
 * with other parameters (a request that ran). As with no answer or a 5xx, a refund asked for may exist.
 */
export class ProviderOutcomeUnknownError extends UpstreamError {
  override readonly name = "ProviderOutcomeUnknownError";
}

/**
 * A provider's answer that it did not carry the request out, for a reason that passes or that the operator
 * fixes: a rate limit (`rate_limited`, Stripe's 429), or tokenbill's secret key refused or lacking the
 * permission (`key_refused`, 401 or 403). Nothing was made and the provider kept no answer under the
 * request's idempotency key, so the same request may be sent again later. `retryAfterMs`: the provider's
 * Retry-After, when it sent one.
 */
export class ProviderNotCarriedOutError extends UpstreamError {
  override readonly name = "ProviderNotCarriedOutError";

  constructor(
    upstream: string,
    message: string,
    status: number | null,
    readonly why: "rate_limited" | "key_refused",
    readonly retryAfterMs: number | undefined,
  ) {
    super(upstream, message, status, why === "rate_limited");
  }
}

/** A provider's name as staff read it in a message ("Stripe"): its `name` is the payment method, lower case. */
export function providerLabel(provider: { readonly name: string }): string {
  return provider.name.charAt(0).toUpperCase() + provider.name.slice(1);
}

/** Payment methods that are a payment provider's: only the provider can give their money back. */
export const PROVIDER_METHODS: ReadonlySet<string> = new Set(["stripe"]);

/** The invoice a checkout is for: what the provider shows the customer and carries back in its events. */
export interface CheckoutInvoice {
  id: string;
  number: string | null;
  customerId: bigint;
  customerEmail: string;
}

export interface CheckoutRequest {
  invoice: CheckoutInvoice;
  /** Minor units of `currency`, > 0: the invoice's amount due when the checkout is made. */
  amount: bigint;
  /** ISO 4217, upper case as tokenbill stores it. */
  currency: string;
  /** The currency's minor-unit exponent in tokenbill: what `amount` counts. */
  exponent: number;
}

export interface CheckoutSession {
  id: string;
  /** Where the customer pays. */
  url: string;
  /**
   * What the session asks the customer for, in tokenbill's minor units: the amount due, or more when the
   * provider cannot charge that exact amount (it rounds up to what it can; the excess becomes credit).
   */
  amount: bigint;
}

/** A currency as tokenbill stores it: its code and its configured minor-unit exponent. */
export interface MoneyUnit {
  code: string;
  exponent: number;
}

/** What a checkout for an amount due would ask the customer for (checkoutQuote). */
export interface CheckoutQuote {
  /** tokenbill's minor units: the amount due, or more when the provider rounds it up to what it can charge. */
  charge: bigint;
  /** tokenbill's minor units: the provider's smallest charge in the currency; null when it states none. */
  minimum: bigint | null;
  /** The charge is below the minimum: the provider would refuse the checkout, so it is not asked. */
  belowMinimum: boolean;
}

export type ProviderRefundStatus = "pending" | "succeeded" | "failed";

export interface RefundRequest {
  /** The provider's id of the payment (the payment's reference: a Stripe PaymentIntent id). */
  paymentRef: string;
  /** tokenbill's minor units of `currency`: an amount the provider can move exactly (refundRefusal is null). */
  amount: bigint;
  currency: MoneyUnit;
  reason?: string | undefined;
  /** tokenbill's payment id, carried by the refund so its events can be told from Dashboard refunds. */
  paymentId: string;
  /**
   * tokenbill's refund row, reserved before the provider is asked: carried by the refund so that its events
   * settle that row, and the request's idempotency key, so a retried request is never a second refund.
   */
  refundId: string;
}

export interface ProviderRefund {
  id: string;
  status: ProviderRefundStatus;
}

/** A webhook whose signature the provider's own check accepted. */
export interface VerifiedEvent {
  id: string;
  type: string;
  /** The event as the provider sent it (parsed JSON), stored in provider_event. */
  payload: unknown;
}

/** Money came in for a checkout. */
export interface PaymentSucceeded {
  kind: "payment_succeeded";
  /** The provider's id of the payment: the payment's `reference`, unique per provider. */
  paymentRef: string;
  checkoutId: string;
  /** From the checkout's metadata; the stored checkout_session row wins when there is one. */
  invoiceId: string | undefined;
  /** In the provider's units of `currency`: amountFromProvider gives tokenbill's minor units. */
  amount: bigint;
  currency: string;
  paidAt: Date;
}

/** A refund's state changed (made through tokenbill or in the provider's dashboard). */
export interface RefundChanged {
  kind: "refund_changed";
  refundRef: string;
  paymentRef: string;
  /** In the provider's units of the payment's currency: amountFromProvider gives tokenbill's minor units. */
  amount: bigint;
  status: ProviderRefundStatus;
  reason: string;
  /** The refund row tokenbill reserved for it, when tokenbill asked for it (RefundRequest.refundId). */
  tokenbillRefundId?: string | undefined;
}

export type ProviderFact = PaymentSucceeded | RefundChanged;

/**
 * What findRefund finds: the reservation's own refund, as its webhook would tell it, with `others`, the rest of
 * the refunds naming the reservation (a second ask's after the provider forgot the idempotency key, one made by
 * hand with the metadata copied), which are recorded as refunds of the payment (applyFoundRefund).
 */
export interface FoundRefund extends RefundChanged {
  others: RefundChanged[];
}

/** Which refund tokenbill asks the provider about (releaseRefundReservation). */
export interface RefundLookup {
  /** The provider's id of the payment (the payment's reference). */
  paymentRef: string;
  /** tokenbill's reservation, carried in the metadata of a refund tokenbill asked for. */
  refundId: string;
  /** The provider's refund linked to the reservation, when one is. */
  providerRefundId: string | null;
  /**
   * What the reservation holds, in tokenbill's minor units of the payment's currency: of several refunds naming
   * it, the one for this amount is its own (findRefund).
   */
  reserved: { amount: bigint; currency: MoneyUnit };
}

export interface PaymentProvider {
  /** Also the `method` of the payments it records, and provider_event.provider. */
  readonly name: string;
  createCheckout(request: CheckoutRequest): Promise<CheckoutSession>;
  /** What a checkout for `amount` (tokenbill's minor units) of `currency` would charge, without asking anyone. */
  checkoutQuote(amount: bigint, currency: MoneyUnit): CheckoutQuote;
  /**
   * Throws a ServiceError when the provider refused (no refund made), a ProviderOutcomeUnknownError when its
   * answer does not say whether it made one; any other UpstreamError by its status (refund-through-provider.ts).
   */
  refund(request: RefundRequest): Promise<ProviderRefund>;
  /**
   * The refund the provider made for tokenbill's reservation, as its webhook would tell it (a refund_changed
   * fact), and the others naming it; null when the provider has none: the request never reached it.
   */
  findRefund(lookup: RefundLookup): Promise<FoundRefund | null>;
  /**
   * Every refund the provider holds of its payment `paymentRef` (the charge), oldest first, each as its webhook
   * would tell it: the charge's look-up (look-up-charge-refunds.ts). Throws as findRefund does.
   */
  listRefunds(paymentRef: string): Promise<RefundChanged[]>;
  /** Verifies the signature over the exact bytes received; throws VALIDATION when it does not hold. */
  parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): VerifiedEvent;
  /** What a verified (or stored) event means for tokenbill; [] for events it does not act on. */
  interpret(event: VerifiedEvent): ProviderFact[];
  /** Why the provider cannot refund exactly `amount` (tokenbill's minor units) of `currency`; null when it can. */
  refundRefusal(amount: bigint, currency: MoneyUnit): string | null;
  /** The largest amount up to `amount` the provider can refund exactly (0 when none). */
  refundableUpTo(amount: bigint, currency: MoneyUnit): bigint;
  /** A fact's amount in tokenbill's minor units of `currency`; null when it is not a whole number of them. */
  amountFromProvider(amount: bigint, currency: MoneyUnit): bigint | null;
}
