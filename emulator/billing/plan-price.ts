import type { PlanPrice } from "../present/catalog.ts";
import type { Emulator } from "../runtime.ts";
import type { PlanTokens, UserRecord } from "../state/types.ts";
import { pricingEndpoint } from "./billing-integration.ts";
import { decimalFromNumber, formatDecimal, multiplyByInteger, plainDecimal } from "./decimal.ts";
import { getTokenPricing, type PricingResult, type TokenPricing } from "./get-token-pricing.ts";

// "SolusIO multiplies user_token_unit_cost by a plan's tokens to show the price" (§8). How it fills the
// `price` object of a plan is [OURS] (§5); the choices are in docs/emulator.md.

/** A whole month of a plan without a monthly price: the 31-day month of billing-rules.md §6. */
export const HOURS_IN_LONGEST_MONTH = 744n;

function monthlyTokens(perHour: number, perMonth: number): bigint {
  return perMonth > 0 ? BigInt(perMonth) : BigInt(perHour) * HOURS_IN_LONGEST_MONTH;
}

function amount(tokens: bigint, pricing: TokenPricing): string {
  const unit = decimalFromNumber(pricing.user_token_unit_cost);
  return plainDecimal(multiplyByInteger(unit, tokens), pricing.currency.decimals);
}

/** A month of paid backups: monthly tokens × backup_price % × unit cost, exact until the final rounding. */
function backupAmount(monthly: bigint, percent: number, pricing: TokenPricing): string {
  const unit = decimalFromNumber(pricing.user_token_unit_cost);
  const p = decimalFromNumber(percent);
  const exact = { units: monthly * p.units * unit.units, scale: p.scale + 2 + unit.scale };
  return plainDecimal(exact, pricing.currency.decimals);
}

/** `tokens × user_token_unit_cost` as the user sees it: "£5.41 GBP". */
export function displayAmount(tokens: bigint, pricing: TokenPricing): string {
  const c = pricing.currency;
  const unit = decimalFromNumber(pricing.user_token_unit_cost);
  const text = formatDecimal(multiplyByInteger(unit, tokens), {
    decimals: c.decimals,
    thousandsSeparator: c.thousands_separator,
    decimalsSeparator: c.decimals_separator,
  });
  return `${c.display_prefix}${text}${c.display_suffix}`;
}

export function planPrice(plan: PlanTokens, pricing: TokenPricing): PlanPrice {
  const monthly = monthlyTokens(plan.tokensPerHour, plan.tokensPerMonth);
  const perMonth = amount(monthly, pricing);
  return {
    per_hour: amount(BigInt(plan.tokensPerHour), pricing),
    per_month: perMonth,
    additional_ips_per_hour: amount(BigInt(plan.ipTokensPerHour), pricing),
    additional_ips_per_month: amount(monthlyTokens(plan.ipTokensPerHour, plan.ipTokensPerMonth), pricing),
    currency_code: pricing.currency.code,
    // user_token_unit_cost is "the full and final price of one token including discounts and taxes".
    taxes_inclusive: true,
    taxes: pricing.taxes.rates.map((r) => ({ label: r.label, rate: r.rate })),
    total_price: perMonth,
    total_price_without_backups: perMonth,
    backup_price: backupAmount(monthly, plan.backupPrice, pricing),
  };
}

/**
 * Asks the configured billing integration for this user's token price. Null when there is nothing to ask:
 * no integration configured, or the user has no billing_user_id.
 */
export async function pricingForUser(em: Emulator, user: UserRecord): Promise<PricingResult | null> {
  const endpoint = pricingEndpoint(em.state.settings.billingIntegration);
  if (!endpoint || user.billingUserId === null) return null;
  const result = await getTokenPricing(endpoint, user.billingUserId, em.config.billingTimeoutMs);
  if (!result.ok) em.log.warn({ userId: user.id, reason: result.reason }, "GetTokenPricing failed");
  return result;
}
