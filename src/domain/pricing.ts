import { ServiceError } from "../kernel/errors.ts";
import { Decimal } from "./decimal.ts";

// Price of one token for one customer (billing-rules §3, GetTokenPricing).

/** Ordered tax rates in percent; `compound` applies each rate to the amount plus the taxes before it. */
export interface TaxSet {
  compound: boolean;
  rates: { label: string; rate: Decimal }[];
}

export interface UserTokenUnitCost {
  base: Decimal;
  discount: Decimal;
  tax: Decimal;
  user: Decimal;
}

export function validateMultiplier(m: Decimal, field = "multiplier"): Decimal {
  if (m.isNegative() || m.gt(Decimal.ONE)) {
    throw ServiceError.validation(field, `must be between 0 and 1 (got ${m.toString()}); 0.95 is 5 % off`);
  }
  return m;
}

export function validateTaxRate(rate: Decimal, field = "rate"): Decimal {
  // §3 defines rates as percentages added to the price; a negative one would be a hidden discount.
  if (rate.isNegative()) {
    throw ServiceError.validation(field, `must be a non-negative percentage (got ${rate.toString()})`);
  }
  return rate;
}

/** M = Π m_i, each 0 ≤ m ≤ 1; no multipliers means no discount (M = 1). */
export function discountFactor(multipliers: readonly Decimal[]): Decimal {
  for (const [i, m] of multipliers.entries()) validateMultiplier(m, `multipliers[${i}]`);
  return Decimal.product(multipliers);
}

/** T = Π (1 + r/100) when compound, 1 + Σ r/100 when simple, 1 when the customer is tax-exempt. */
export function taxFactor(taxes: TaxSet, taxExempt: boolean): Decimal {
  for (const [i, t] of taxes.rates.entries()) validateTaxRate(t.rate, `taxes.rates[${i}].rate`);
  if (taxExempt) return Decimal.ONE;
  const fractions = taxes.rates.map((t) => t.rate.divPow10(2));
  if (taxes.compound) return Decimal.product(fractions.map((f) => Decimal.ONE.add(f)));
  return Decimal.ONE.add(Decimal.sum(fractions));
}

/** U = B × M × T, exact; round only when emitting it (toJSONNumber(12), §3). */
export function userTokenUnitCost(input: {
  base: Decimal;
  multipliers: readonly Decimal[];
  taxes: TaxSet;
  taxExempt: boolean;
}): UserTokenUnitCost {
  if (input.base.isNegative()) {
    throw ServiceError.validation(
      "base",
      `token unit cost must not be negative (got ${input.base.toString()})`,
    );
  }
  const discount = discountFactor(input.multipliers);
  const tax = taxFactor(input.taxes, input.taxExempt);
  return { base: input.base, discount, tax, user: input.base.mul(discount).mul(tax) };
}
