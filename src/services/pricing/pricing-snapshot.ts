import type { Selectable } from "kysely";
import type {
  CurrencyTable,
  CustomerTable,
  DiscountTable,
  TaxRateTable,
  TaxRuleTable,
} from "../../db/schema.ts";
import { Decimal } from "../../domain/decimal.ts";
import { type TaxSet, userTokenUnitCost } from "../../domain/pricing.ts";
import { ServiceError } from "../../errors.ts";
import type { Tx } from "../context.ts";
import type { PricingFacts } from "./pricing-facts.ts";

// Everything that prices one token for a set of customers (billing-rules §3), loaded in five queries and
// evaluated in memory. The single place where discounts are ordered and a tax rule is chosen: the uncached
// admin view, the in-memory GetTokenPricing index and invoicing all go through it.

type CustomerPricingRow = Pick<
  Selectable<CustomerTable>,
  "id" | "country" | "region" | "tax_exempt" | "client_group_id" | "tax_rule_id" | "currency_code"
>;

const NO_TAX: TaxSet = { compound: false, rates: [] };

export class PricingSnapshot {
  private readonly currencies = new Map<string, Selectable<CurrencyTable>>();
  private readonly customers = new Map<bigint, CustomerPricingRow>();
  private readonly groupDiscounts = new Map<bigint, Selectable<DiscountTable>[]>();
  private readonly ownDiscounts = new Map<bigint, Selectable<DiscountTable>[]>();
  private readonly taxSets = new Map<bigint, TaxSet>();
  /** key: `country|region` (region empty for a country-wide rule) → rule id */
  private readonly rulesByPlace = new Map<string, bigint>();
  private defaultRule: bigint | undefined;

  constructor(rows: {
    currencies: Selectable<CurrencyTable>[];
    customers: CustomerPricingRow[];
    discounts: Selectable<DiscountTable>[];
    taxRules: Selectable<TaxRuleTable>[];
    taxRates: Selectable<TaxRateTable>[];
  }) {
    for (const c of rows.currencies) this.currencies.set(c.code, c);
    for (const c of rows.customers) this.customers.set(c.id, c);
    const byOrder = (a: Selectable<DiscountTable>, b: Selectable<DiscountTable>) =>
      a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    for (const d of [...rows.discounts].sort(byOrder)) {
      const [map, owner] =
        d.customer_id !== null
          ? [this.ownDiscounts, d.customer_id]
          : [this.groupDiscounts, d.client_group_id!];
      const list = map.get(owner) ?? [];
      list.push(d);
      map.set(owner, list);
    }
    for (const rule of rows.taxRules) {
      const rates = rows.taxRates
        .filter((r) => r.tax_rule_id === rule.id)
        .sort((a, b) => a.position - b.position)
        .map((r) => ({ label: r.label, rate: Decimal.parse(r.rate) }));
      this.taxSets.set(rule.id, { compound: rule.compound, rates });
      if (rule.is_default) this.defaultRule = rule.id;
      if (rule.country !== null) this.rulesByPlace.set(`${rule.country}|${rule.region ?? ""}`, rule.id);
    }
  }

  /** Loads all customers, or only the given ones (with just the rows they need). */
  static async load(db: Tx, customerIds?: bigint[]): Promise<PricingSnapshot> {
    let customersQuery = db
      .selectFrom("customer")
      .select(["id", "country", "region", "tax_exempt", "client_group_id", "tax_rule_id", "currency_code"]);
    if (customerIds)
      customersQuery = customersQuery.where("id", "in", customerIds.length ? customerIds : [0n]);
    const customers = await customersQuery.execute();
    const groups = [
      ...new Set(customers.flatMap((c) => (c.client_group_id === null ? [] : [c.client_group_id]))),
    ];
    let discountsQuery = db.selectFrom("discount").selectAll();
    if (customerIds) {
      discountsQuery = discountsQuery.where((eb) =>
        eb.or([
          eb("customer_id", "in", customerIds.length ? customerIds : [0n]),
          eb("client_group_id", "in", groups.length ? groups : [0n]),
        ]),
      );
    }
    const [currencies, discounts, taxRules, taxRates] = await Promise.all([
      db.selectFrom("currency").selectAll().execute(),
      discountsQuery.execute(),
      db.selectFrom("tax_rule").selectAll().execute(),
      db.selectFrom("tax_rate").selectAll().execute(),
    ]);
    return new PricingSnapshot({ currencies, customers, discounts, taxRules, taxRates });
  }

  has(customerId: bigint): boolean {
    return this.customers.has(customerId);
  }

  /** The explicit rule, else (country, region), else (country), else the default, else no tax. */
  private taxesFor(c: CustomerPricingRow): TaxSet {
    const ruleId =
      c.tax_rule_id ??
      (c.region !== null ? this.rulesByPlace.get(`${c.country}|${c.region}`) : undefined) ??
      this.rulesByPlace.get(`${c.country}|`) ??
      this.defaultRule;
    return (ruleId !== undefined ? this.taxSets.get(ruleId) : undefined) ?? NO_TAX;
  }

  facts(customerId: bigint): PricingFacts {
    const customer = this.customers.get(customerId);
    if (!customer) throw ServiceError.notFound(`customer ${customerId}`);
    const currency = this.currencies.get(customer.currency_code)!;
    // Group discounts first, then the customer's own; each in its configured order.
    const discounts = [
      ...(customer.client_group_id !== null ? (this.groupDiscounts.get(customer.client_group_id) ?? []) : []),
      ...(this.ownDiscounts.get(customerId) ?? []),
    ].map((d) => ({ name: d.name, description: d.description, multiplier: Decimal.parse(d.multiplier) }));
    const taxes = this.taxesFor(customer);
    const base = Decimal.parse(currency.token_unit_cost);
    const cost = userTokenUnitCost({
      base,
      multipliers: discounts.map((d) => d.multiplier),
      taxes,
      taxExempt: customer.tax_exempt,
    });
    return {
      customerId,
      base,
      multipliers: discounts,
      taxes,
      taxExempt: customer.tax_exempt,
      user: cost.user,
      currency: {
        code: currency.code,
        display_prefix: currency.display_prefix,
        display_suffix: currency.display_suffix,
        thousands_separator: currency.thousands_separator,
        decimals_separator: currency.decimals_separator,
        decimals: currency.exponent,
      },
    };
  }
}
