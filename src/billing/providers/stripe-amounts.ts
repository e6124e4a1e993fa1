// tokenbill's amounts are minor units of the currency's configured exponent (billing-rules §1); Stripe's are
// its "smallest currency unit", which is not always the same thing (https://docs.stripe.com/currencies):
// - zero-decimal currencies (JPY, KRW, …) are whole units;
// - three-decimal currencies (BHD, JOD, KWD, OMR, TND) are thousandths, but a charge or refund must end in 0
//   ("5.124 KWD must be rounded to 5120 or 5130");
// - ISK is whole krónur in ISO 4217, yet Stripe keeps it two-decimal for backwards compatibility: 5 ISK is
//   sent as 500, and the hundredths must be 00.
// Every other currency is two-decimal. Until 2026-12-06 tokenbill sent its own minor units as they were: a
// 690 kr invoice was a Checkout of 6.90 kr, recorded as paid in full when Stripe said 690 came in, and a
// 1.581 KWD invoice could not be paid by card at all.

import type { MoneyUnit } from "./payment-provider.ts";

/** Stripe's zero-decimal currencies: an amount is a number of whole units. */
const ZERO_DECIMAL = new Set([
  "BIF",
  "CLP",
  "DJF",
  "GNF",
  "JPY",
  "KMF",
  "KRW",
  "MGA",
  "PYG",
  "RWF",
  "UGX",
  "VND",
  "VUV",
  "XAF",
  "XOF",
  "XPF",
]);

/** Stripe's three-decimal currencies: thousandths, the last digit 0 in a charge or refund. */
const THREE_DECIMAL = new Set(["BHD", "JOD", "KWD", "OMR", "TND"]);

/** How Stripe writes amounts of `code`: its decimals, and the step (in its units) every amount is a multiple of. */
export function stripeUnitOf(code: string): { decimals: number; step: bigint } {
  const upper = code.toUpperCase();
  if (ZERO_DECIMAL.has(upper)) return { decimals: 0, step: 1n };
  if (THREE_DECIMAL.has(upper)) return { decimals: 3, step: 10n };
  if (upper === "ISK") return { decimals: 2, step: 100n };
  return { decimals: 2, step: 1n };
}

const ten = (power: number) => 10n ** BigInt(power);

/**
 * `amount` (tokenbill's minor units) in Stripe's units, rounded **up** to what Stripe can charge when it is
 * finer than that. A checkout asks for at least what is due; what it takes beyond becomes the customer's
 * credit (billing-rules §7), whereas rounding down would leave a remainder no card payment can settle.
 */
export function stripeChargeOf(amount: bigint, currency: MoneyUnit): bigint {
  const { decimals, step } = stripeUnitOf(currency.code);
  // tokenbill's minor units per Stripe step, or Stripe units per tokenbill minor unit.
  if (currency.exponent >= decimals) {
    const perUnit = ten(currency.exponent - decimals); // tokenbill units in one Stripe unit
    const perStep = perUnit * step;
    const steps = (amount + perStep - 1n) / perStep;
    return steps * step;
  }
  const scaled = amount * ten(decimals - currency.exponent);
  return ((scaled + step - 1n) / step) * step;
}

/** The finest amount Stripe moves in `currency`, in tokenbill's minor units (1 unless tokenbill's unit is finer). */
export function stripeStepIn(currency: MoneyUnit): bigint {
  const { decimals, step } = stripeUnitOf(currency.code);
  return currency.exponent >= decimals ? step * ten(currency.exponent - decimals) : 1n;
}

/** `amount` in Stripe's units, or null when Stripe cannot move exactly that much (a refund is never rounded). */
export function exactStripeAmountOf(amount: bigint, currency: MoneyUnit): bigint | null {
  const charged = stripeChargeOf(amount, currency);
  return stripeAmountIn(charged, currency) === amount ? charged : null;
}

/** A Stripe amount of the currency in tokenbill's minor units, or null when it is not a whole number of them. */
export function stripeAmountIn(stripeAmount: bigint, currency: MoneyUnit): bigint | null {
  const { decimals } = stripeUnitOf(currency.code);
  if (currency.exponent >= decimals) return stripeAmount * ten(currency.exponent - decimals);
  const divisor = ten(decimals - currency.exponent);
  return stripeAmount % divisor === 0n ? stripeAmount / divisor : null;
}

/**
 * Stripe's minimum charge per currency, in Stripe's units ("Minimum and maximum charge amounts",
 * https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts): a Checkout Session below it is
 * refused ("amount_too_small"). Stripe states these for a charge in the account's settlement currency; a
 * charge in another currency must come to 0.50 USD or its equivalent at the day's rate, which tokenbill
 * cannot know, so a currency missing here is left to Stripe to refuse.
 */
const STRIPE_MINIMUM: Readonly<Record<string, bigint>> = {
  USD: 50n,
  AED: 200n,
  AUD: 50n,
  BGN: 100n,
  BRL: 50n,
  CAD: 50n,
  CHF: 50n,
  CZK: 1500n,
  DKK: 250n,
  EUR: 50n,
  GBP: 30n,
  HKD: 400n,
  HUF: 17500n,
  INR: 50n,
  JPY: 50n,
  MXN: 1000n,
  MYR: 200n,
  NOK: 300n,
  NZD: 50n,
  PLN: 200n,
  RON: 200n,
  SEK: 300n,
  SGD: 50n,
  THB: 1000n,
};

/** Stripe's minimum charge in `code`, in Stripe's units; null when Stripe states none for it. */
export function stripeMinimumOf(code: string): bigint | null {
  return STRIPE_MINIMUM[code.toUpperCase()] ?? null;
}

/**
 * Stripe's minimum charge in `currency`, in tokenbill's minor units (rounded up when tokenbill's unit is
 * coarser than Stripe's); null when Stripe states none for the currency.
 */
export function stripeMinimumIn(currency: MoneyUnit): bigint | null {
  const minimum = stripeMinimumOf(currency.code);
  if (minimum === null) return null;
  const { decimals } = stripeUnitOf(currency.code);
  if (currency.exponent >= decimals) return minimum * ten(currency.exponent - decimals);
  const divisor = ten(decimals - currency.exponent);
  return (minimum + divisor - 1n) / divisor;
}
