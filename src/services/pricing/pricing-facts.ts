import type { Decimal } from "../../domain/decimal.ts";
import type { TaxSet } from "../../domain/pricing.ts";

/** The GetTokenPricing answer, with the exact key names of solusio-api.md §8 (including `multipler`). */
export interface TokenPricing {
  base_token_unit_cost: number;
  user_token_unit_cost: number;
  currency: {
    code: string;
    display_prefix: string;
    display_suffix: string;
    thousands_separator: string;
    decimals_separator: string;
    decimals: number;
  };
  discounts: { name: string; description: string; multipler: number }[];
  taxes: { compound: boolean; rates: { label: string; rate: number }[] };
}

/** The exact inputs and result of pricing one token for one customer (billing-rules §3). */
export interface PricingFacts {
  customerId: bigint;
  base: Decimal;
  multipliers: { name: string; description: string; multiplier: Decimal }[];
  taxes: TaxSet;
  taxExempt: boolean;
  user: Decimal;
  currency: TokenPricing["currency"];
}

/** Exact decimals become JSON numbers only here, rounded to 12 places (billing-rules §3). */
export function toTokenPricing(facts: PricingFacts): TokenPricing {
  return {
    base_token_unit_cost: facts.base.toJSONNumber(12),
    user_token_unit_cost: facts.user.toJSONNumber(12),
    currency: facts.currency,
    discounts: facts.multipliers.map((m) => ({
      name: m.name,
      description: m.description,
      multipler: m.multiplier.toJSONNumber(12),
    })),
    // A tax-exempt customer pays no tax, so none is listed (T = 1).
    taxes: {
      compound: facts.taxes.compound,
      rates: facts.taxExempt
        ? []
        : facts.taxes.rates.map((r) => ({ label: r.label, rate: r.rate.toJSONNumber(4) })),
    },
  };
}
