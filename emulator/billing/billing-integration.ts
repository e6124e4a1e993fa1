import { z } from "zod";
import { fieldError } from "../errors.ts";
import type { BillingIntegration } from "../state/types.ts";

// Everything about the settings key `billing_integration` lives in this file (solusio-api.md §7).
// Seen publicly: {"type": "whmcs", "drivers": {"whmcs": {"url", "token"}}}. The Custom billing value is
// [OURS]: {"type": "custom", "drivers": {"custom": {"url", "token"}}}. Whatever the type, the driver of that
// name holds the GetTokenPricing URL and token (§8), so correcting the shape later touches only this file.

export const CUSTOM_BILLING_TYPE = "custom";

export const BillingDriverInput = z.object({
  url: z.url({ protocol: /^https?$/ }),
  token: z.string().nullable().optional(),
});

export const BillingIntegrationInput = z.object({
  type: z.string().min(1).max(50).optional(),
  drivers: z.record(z.string().min(1).max(50), BillingDriverInput).optional(),
});
export type BillingIntegrationInput = z.infer<typeof BillingIntegrationInput>;

/** PATCH semantics [OURS]: `type` is replaced, drivers are merged by name; null switches billing off. */
export function mergeBillingIntegration(
  current: BillingIntegration | null,
  input: BillingIntegrationInput | null,
): BillingIntegration | null {
  if (input === null) return null;
  const type = input.type ?? current?.type ?? CUSTOM_BILLING_TYPE;
  const drivers = { ...(current?.drivers ?? {}) };
  for (const [name, driver] of Object.entries(input.drivers ?? {})) {
    drivers[name] = { url: driver.url, token: driver.token ?? null };
  }
  if (!drivers[type]) {
    throw fieldError(
      "billing_integration.drivers",
      `The billing integration of type "${type}" needs drivers.${type}.url.`,
    );
  }
  return { type, drivers };
}

/** Where to send GetTokenPricing, or null when no billing integration is configured. */
export function pricingEndpoint(
  integration: BillingIntegration | null,
): { url: string; token: string | null } | null {
  if (!integration) return null;
  const driver = integration.drivers[integration.type];
  return driver ? { url: driver.url, token: driver.token } : null;
}

export function presentBillingIntegration(integration: BillingIntegration | null): unknown {
  if (!integration) return null;
  const drivers: Record<string, { url: string; token: string | null }> = {};
  for (const [name, d] of Object.entries(integration.drivers)) drivers[name] = { url: d.url, token: d.token };
  return { type: integration.type, drivers };
}
