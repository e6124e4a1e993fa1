import type { Config } from "../../config.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { PaymentProvider } from "./payment-provider.ts";
import { StripeProvider } from "./stripe-provider.ts";

// Which payment provider this configuration has, if any. The configuration is parsed once and frozen, so
// one provider (one SDK client with its connection pool) serves every request made with it.

export const ONLINE_PAYMENTS_OFF =
  "online payments are off: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (docs/payments-stripe.md)";

const providers = new WeakMap<Config, PaymentProvider>();

/** The configured provider, or undefined when online payments are off (no STRIPE_SECRET_KEY). */
export function paymentProviderOf(config: Config): PaymentProvider | undefined {
  const known = providers.get(config);
  if (known) return known;
  // The config schema requires the webhook secret with the key: both or neither.
  if (!config.STRIPE_SECRET_KEY || !config.STRIPE_WEBHOOK_SECRET) return undefined;
  const provider = new StripeProvider({
    secretKey: config.STRIPE_SECRET_KEY,
    webhookSecret: config.STRIPE_WEBHOOK_SECRET,
    apiUrl: config.STRIPE_API_URL,
    successUrl: config.STRIPE_SUCCESS_URL,
    cancelUrl: config.STRIPE_CANCEL_URL,
  });
  providers.set(config, provider);
  return provider;
}

/** The configured provider; CONFLICT saying how to switch online payments on when there is none. */
export function requirePaymentProvider(config: Config): PaymentProvider {
  const provider = paymentProviderOf(config);
  if (!provider) throw new ServiceError("CONFLICT", ONLINE_PAYMENTS_OFF);
  return provider;
}

/** One line for `tokenbill config` / doctor output. */
export function onlinePaymentsStatus(config: Config): string {
  return paymentProviderOf(config) ? "online payments: on (Stripe)" : ONLINE_PAYMENTS_OFF;
}
