import { Decimal } from "../../domain/decimal.ts";
import { type TaxSet, userTokenUnitCost } from "../../domain/pricing.ts";
import { ServiceError } from "../../errors.ts";
import type { ServiceContext, Tx, VerbArgs } from "../context.ts";
import { resolveTaxRule } from "./resolve-tax-rule.ts";

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

export interface PricingFacts {
  customerId: bigint;
  base: Decimal;
  multipliers: { name: string; description: string; multiplier: Decimal }[];
  taxes: TaxSet;
  taxExempt: boolean;
  user: Decimal;
  currency: TokenPricing["currency"];
}

/** Loads everything that prices one token for one customer (billing-rules §3), exactly. */
export async function loadPricingFacts(db: Tx, customerId: bigint): Promise<PricingFacts> {
  const customer = await db
    .selectFrom("customer")
    .innerJoin("currency", "currency.code", "customer.currency_code")
    .select([
      "customer.id",
      "customer.country",
      "customer.region",
      "customer.tax_exempt",
      "customer.client_group_id",
      "customer.tax_rule_id",
      "currency.code",
      "currency.exponent",
      "currency.token_unit_cost",
      "currency.display_prefix",
      "currency.display_suffix",
      "currency.thousands_separator",
      "currency.decimals_separator",
    ])
    .where("customer.id", "=", customerId)
    .executeTakeFirst();
  if (!customer) throw ServiceError.notFound(`customer ${customerId}`);

  // Group discounts first, then the customer's own; each in its configured order.
  const discounts = await db
    .selectFrom("discount")
    .select(["name", "description", "multiplier", "customer_id"])
    .where((eb) =>
      eb.or([
        eb("customer_id", "=", customerId),
        ...(customer.client_group_id === null ? [] : [eb("client_group_id", "=", customer.client_group_id)]),
      ]),
    )
    .orderBy((eb) => eb.case().when("customer_id", "is", null).then(0).else(1).end())
    .orderBy("position")
    .orderBy("id")
    .execute();

  const taxes = await resolveTaxRule(db, customer);
  const base = Decimal.parse(customer.token_unit_cost);
  const multipliers = discounts.map((d) => ({
    name: d.name,
    description: d.description,
    multiplier: Decimal.parse(d.multiplier),
  }));
  const cost = userTokenUnitCost({
    base,
    multipliers: multipliers.map((m) => m.multiplier),
    taxes,
    taxExempt: customer.tax_exempt,
  });
  return {
    customerId,
    base,
    multipliers,
    taxes,
    taxExempt: customer.tax_exempt,
    user: cost.user,
    currency: {
      code: customer.code,
      display_prefix: customer.display_prefix,
      display_suffix: customer.display_suffix,
      thousands_separator: customer.thousands_separator,
      decimals_separator: customer.decimals_separator,
      decimals: customer.exponent,
    },
  };
}

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

export async function getTokenPricing({
  ctx,
  input,
}: VerbArgs<{ customerId: bigint }>): Promise<TokenPricing> {
  return toTokenPricing(await loadPricingFacts(ctx.db, input.customerId));
}

/** The serialized answer, served from the cache when fresh; the HTTP endpoint's hot path. */
export async function getTokenPricingJson(ctx: ServiceContext, customerId: bigint): Promise<string> {
  const key = customerId.toString();
  const cached = ctx.pricingCache.get(key);
  if (cached !== undefined) return cached;
  const generation = ctx.pricingCache.currentGeneration();
  const json = JSON.stringify(toTokenPricing(await loadPricingFacts(ctx.db, customerId)));
  ctx.pricingCache.set(key, json, generation);
  return json;
}
