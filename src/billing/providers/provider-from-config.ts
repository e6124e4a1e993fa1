import type { Config } from "../../config.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { PaymentProvider } from "./payment-provider.ts";

// Which payment provider this configuration has, if any. The configuration is parsed once and frozen, so
// one provider (one SDK client with its connection pool) serves every request made with it. The provider's
// module (and with it the Stripe SDK) is imported when a provider is first asked for: the verbs that may
// refund through it are imported by `tokenbill payments`, whose `--help` loaded stripe (docs/performance.md).

export const ONLINE_PAYMENTS_OFF =
  "online payments are off: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (docs/payments-stripe.md)";

const providers = new WeakMap<Config, PaymentProvider>();

/** Whether online payments are on: a provider is configured (paymentProviderOf answers one). */
export function onlinePaymentsConfigured(config: Config): boolean {
  // The config schema requires the webhook secret with the key: both or neither.
  return Boolean(config.STRIPE_SECRET_KEY && config.STRIPE_WEBHOOK_SECRET);
}

/** The configured provider, or undefined when online payments are off (no STRIPE_SECRET_KEY). */
export async function paymentProviderOf(config: Config): Promise<PaymentProvider | undefined> {
  const known = providers.get(config);
  if (known) return known;
  if (!config.STRIPE_SECRET_KEY || !config.STRIPE_WEBHOOK_SECRET) return undefined;
  const { StripeProvider } = await import("./stripe-provider.ts");
  // Two first requests at once both get here: the first one made is the one kept.
  const made = providers.get(config);
  if (made) return made;
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
export async function requirePaymentProvider(config: Config): Promise<PaymentProvider> {
  const provider = await paymentProviderOf(config);
  if (!provider) throw new ServiceError("CONFLICT", ONLINE_PAYMENTS_OFF);
  return provider;
}

/** One line for `tokenbill config` / doctor output. */
export function onlinePaymentsStatus(config: Config): string {
  return onlinePaymentsConfigured(config) ? "online payments: on (Stripe)" : ONLINE_PAYMENTS_OFF;
}
