import type { Selectable } from "kysely";
import type { CurrencyTable, DiscountTable, TaxRateTable, TaxRuleTable } from "../../db/schema.ts";
import { Decimal } from "../../domain/decimal.ts";
import { type TaxSet, userTokenUnitCost } from "../../domain/pricing.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { Tx } from "../../kernel/context.ts";
import type { PricingFacts } from "./pricing-facts.ts";
import {
  type CustomerPricingRow,
  loadCustomerRows,
  loadOwnDiscounts,
  loadSharedRows,
  type SharedPricingRows,
} from "./pricing-rows.ts";

// Everything that prices one token for a set of customers (billing-rules §3), loaded in a few queries and
// evaluated in memory. The single place where discounts are ordered and a tax rule is chosen: the uncached
// admin view, the in-memory GetTokenPricing index and invoicing all go through it. The index keeps one
// snapshot for its whole life and replaces parts of it (some customers, or the shared inputs) as they change.

const NO_TAX: TaxSet = { compound: false, rates: [] };

type Discount = Selectable<DiscountTable>;
const byOrder = (a: Discount, b: Discount) =>
  a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Discounts grouped by owner, each list in its configured order. */
function byOwner(discounts: Discount[], owner: (d: Discount) => bigint | null): Map<bigint, Discount[]> {
  const map = new Map<bigint, Discount[]>();
  for (const d of [...discounts].sort(byOrder)) {
    const key = owner(d);
    if (key === null) continue;
    const list = map.get(key) ?? [];
    list.push(d);
    map.set(key, list);
  }
  return map;
}

export class PricingSnapshot {
  private currencies = new Map<string, Selectable<CurrencyTable>>();
  private readonly customers = new Map<bigint, CustomerPricingRow>();
  /** client group → its customers: a group's change finds its members without a scan of every customer. */
  private readonly groupMembers = new Map<bigint, Set<bigint>>();
  private groupDiscounts = new Map<bigint, Discount[]>();
  private readonly ownDiscounts = new Map<bigint, Discount[]>();
  private taxSets = new Map<bigint, TaxSet>();
  /** key: `country|region` (region empty for a country-wide rule) → rule id */
  private rulesByPlace = new Map<string, bigint>();
  private defaultRule: bigint | undefined;

  constructor(rows: {
    currencies: Selectable<CurrencyTable>[];
    customers: CustomerPricingRow[];
    discounts: Discount[];
    taxRules: Selectable<TaxRuleTable>[];
    taxRates: Selectable<TaxRateTable>[];
  }) {
    this.replaceShared({ ...rows, groupDiscounts: rows.discounts.filter((d) => d.client_group_id !== null) });
    this.replaceCustomers(
      rows.customers.map((c) => c.id),
      rows.customers,
      rows.discounts.filter((d) => d.customer_id !== null),
    );
  }

  /** Loads all customers, or only the given ones (with just the rows they need). */
  static async load(db: Tx, customerIds?: bigint[]): Promise<PricingSnapshot> {
    const customers = await loadCustomerRows(db, customerIds);
    const groups = customerIds
      ? [...new Set(customers.flatMap((c) => (c.client_group_id === null ? [] : [c.client_group_id])))]
      : undefined;
    const [shared, own] = await Promise.all([loadSharedRows(db, groups), loadOwnDiscounts(db, customerIds)]);
    return new PricingSnapshot({ ...shared, customers, discounts: [...shared.groupDiscounts, ...own] });
  }

  /**
   * Replaces what is known of the given customers with `rows` and `ownDiscounts` (loaded for exactly those
   * ids); an id without a row is a deleted customer.
   */
  replaceCustomers(ids: bigint[], rows: CustomerPricingRow[], ownDiscounts: Discount[]): void {
    for (const id of ids) {
      const group = this.customers.get(id)?.client_group_id;
      if (group != null) this.groupMembers.get(group)?.delete(id);
      this.customers.delete(id);
      this.ownDiscounts.delete(id);
    }
    for (const c of rows) {
      this.customers.set(c.id, c);
      if (c.client_group_id === null) continue;
      const members = this.groupMembers.get(c.client_group_id) ?? new Set();
      members.add(c.id);
      this.groupMembers.set(c.client_group_id, members);
    }
    for (const [id, list] of byOwner(ownDiscounts, (d) => d.customer_id)) this.ownDiscounts.set(id, list);
  }

  /** Replaces the discounts of the given client groups with `discounts` (loaded for exactly those groups). */
  replaceGroupDiscounts(groupIds: bigint[], discounts: Discount[]): void {
    for (const id of groupIds) this.groupDiscounts.delete(id);
    for (const [id, list] of byOwner(discounts, (d) => d.client_group_id)) this.groupDiscounts.set(id, list);
  }

  /** Replaces the shared inputs as a whole (they are few rows). */
  replaceShared(rows: SharedPricingRows): void {
    this.currencies = new Map(rows.currencies.map((c) => [c.code, c]));
    this.groupDiscounts = byOwner(rows.groupDiscounts, (d) => d.client_group_id);
    this.taxSets = new Map();
    this.rulesByPlace = new Map();
    this.defaultRule = undefined;
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

  /** The customers in a client group. */
  membersOf(groupId: bigint): ReadonlySet<bigint> {
    return this.groupMembers.get(groupId) ?? new Set();
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
