import type { SolusioSettings } from "./schemas.ts";

// The settings key `billing_integration` (solusio-api.md §7): where SolusIO sends GetTokenPricing. Seen in
// public sources: {"type": "whmcs", "drivers": {"whmcs": {"url", "token"}}}: the driver named by `type` is
// the one SolusIO calls. The value for "Custom billing" is [OURS]; everything that knows it is in this file.

/** [OURS] The `type` written for "Custom billing". Only "whmcs" is public; correct it here if it differs. */
export const CUSTOM_BILLING_TYPE = "custom";

/** The whole settings value that makes SolusIO call `url` with `token`, under integration `type`. */
export function billingIntegrationValue(type: string, url: string, token: string | undefined) {
  return { type, drivers: { [type]: { url, token: token ?? "" } } };
}

/** [OURS] What setup writes: Custom billing pointing at tokenbill's GetTokenPricing. */
export function customBillingIntegration(url: string, token: string | undefined) {
  return billingIntegrationValue(CUSTOM_BILLING_TYPE, url, token);
}

/**
 * The token SolusIO will send, as far as `GET settings` shows it. A live SolusIO may leave a secret out or
 * mask it; then it cannot be compared, and only a GetTokenPricing call would tell.
 */
export type ShownToken = { shown: true; value: string } | { shown: false };

export interface ActivePricingDriver {
  type: string;
  /** null when the driver named by `type` is missing or has no url. */
  url: string | null;
  token: ShownToken;
}

/** The driver SolusIO calls for prices: the one named by `type`; undefined when no integration is set. */
export function activePricingDriver(settings: SolusioSettings): ActivePricingDriver | undefined {
  const integration = settings.billing_integration;
  if (!integration?.type) return undefined;
  const driver = integration.drivers?.[integration.type];
  const fields = typeof driver === "object" && driver !== null ? (driver as Record<string, unknown>) : {};
  const url = typeof fields["url"] === "string" && fields["url"] !== "" ? fields["url"] : null;
  return { type: integration.type, url, token: shownToken(fields) };
}

function shownToken(driver: Record<string, unknown>): ShownToken {
  if (!("token" in driver)) return { shown: false };
  const token = driver["token"];
  if (token === null) return { shown: true, value: "" };
  // "********" and the like: the value is there but hidden from readers.
  if (typeof token !== "string" || /^\*+$/.test(token)) return { shown: false };
  return { shown: true, value: token };
}

/**
 * Whether a driver url is this endpoint. Scheme and host case and a default port do not matter; the path
 * does, trailing slash included: tokenbill's router does not answer `/solusio/api/` for `/solusio/api`.
 */
export function sameEndpoint(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}
