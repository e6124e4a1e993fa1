import type { Config } from "../../config.ts";
import {
  activePricingDriver,
  billingIntegrationValue,
  customBillingIntegration,
  sameEndpoint,
} from "../../solusio/billing-integration.ts";
import type { SolusioSettings } from "../../solusio/schemas.ts";
import { pricingUrl } from "./pricing-url.ts";

// Is SolusIO's billing integration (seed step 7) pointing at tokenbill? Decided by reading `GET settings`
// (solusio-api.md §7): the value setup writes for "Custom billing" is a guess [OURS], so it is not what is
// checked. Any integration type passes whose driver — the one its `type` names, which SolusIO calls — has
// tokenbill's GetTokenPricing URL; `{"type":"whmcs","drivers":{"whmcs":{"url": ours}}}` is as good as ours.

export type BillingIntegrationVerdict =
  | { ok: true; detail: string }
  | {
      ok: false;
      detail: string;
      fix: string;
      /** The settings value that would put it right. */
      desired: ReturnType<typeof customBillingIntegration>;
    };

/**
 * `seesWhere` false (a reader below admin, runDoctor's): the words name tokenbill's URL and the one SolusIO calls
 * by what they are, not their values; `desired` still holds the URL, for setup, which only admins apply.
 */
export function checkBillingIntegration(
  settings: SolusioSettings,
  config: Config,
  seesWhere = true,
): BillingIntegrationVerdict {
  const url = pricingUrl(config);
  const ours = seesWhere ? url : "tokenbill's GetTokenPricing URL (TOKENBILL_PUBLIC_URL and PRICING_PATH)";
  const token = config.SOLUSIO_PRICING_TOKEN;
  const fix = `run \`tokenbill solusio setup --apply\`, or by hand in SolusIO: Settings > Billing Integration, type Custom billing, URL ${ours}, token ${token ? "the value of SOLUSIO_PRICING_TOKEN" : "empty"}, Save`;
  const driver = activePricingDriver(settings);
  if (!driver)
    return {
      ok: false,
      detail: "no billing integration is set: SolusIO cannot ask tokenbill for prices",
      fix,
      desired: customBillingIntegration(url, token),
    };
  if (!driver.url || !sameEndpoint(driver.url, url))
    return {
      ok: false,
      detail: `SolusIO calls ${!driver.url ? "no URL" : seesWhere ? driver.url : "another URL"} (integration type "${driver.type}"), not ${seesWhere ? `tokenbill's ${url}` : ours}`,
      fix,
      desired: customBillingIntegration(url, token),
    };
  // With no token configured tokenbill answers any caller, so whatever SolusIO sends is fine.
  if (token && driver.token.shown && driver.token.value !== token)
    return {
      ok: false,
      detail: `SolusIO calls ${ours} (integration type "${driver.type}") with another token than SOLUSIO_PRICING_TOKEN: tokenbill refuses those calls (401)`,
      fix,
      // The type the operator chose works: only its token is replaced.
      desired: billingIntegrationValue(driver.type, url, token),
    };
  const unread =
    token && !driver.token.shown ? "; SolusIO does not show its token, so it was not compared" : "";
  return { ok: true, detail: `SolusIO calls ${ours} (integration type "${driver.type}")${unread}` };
}

/**
 * Seed step 7 by hand, in tokenbill's words: what an operator does in SolusIO's admin area when the value
 * setup writes is not what this SolusIO version understands. The token itself is never printed; below admin
 * (`seesWhere` false) nor is the URL: an admin, who may change SolusIO's settings, reads it.
 */
export function billingIntegrationManualSteps(config: Config, seesWhere = true): string[] {
  const url = seesWhere ? pricingUrl(config) : "its value, which an admin's doctor names";
  const token = config.SOLUSIO_PRICING_TOKEN
    ? "paste the value of SOLUSIO_PRICING_TOKEN into the token field"
    : "leave the token field empty (SOLUSIO_PRICING_TOKEN is not set, so tokenbill answers without one)";
  return [
    "How SolusIO stores Custom billing is not public: `setup --apply` writes tokenbill's best guess, so check it",
    "in SolusIO, or set it there by hand (seed step 7):",
    "  1. Sign in to SolusIO's admin area as an administrator.",
    "  2. Open Settings > Billing Integration.",
    '  3. Set the type to "Custom billing".',
    `  4. Enter tokenbill's GetTokenPricing URL: ${url}`,
    `  5. ${token[0]!.toUpperCase()}${token.slice(1)}.`,
    "  6. Save.",
    "  Then run `tokenbill solusio doctor`: it passes once SolusIO calls that URL, whatever type its settings show.",
  ];
}
