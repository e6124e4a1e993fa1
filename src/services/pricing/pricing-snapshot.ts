import type { Selectable } from "kysely";
import type { CurrencyTable, TaxRateTable, TaxRuleTable } from "../../db/schema.ts";
import { Decimal } from "../../domain/decimal.ts";
import { type TaxSet, userTokenUnitCost } from "../../domain/pricing.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { Tx } from "../../kernel/context.ts";
import { Interner } from "../../kernel/interner.ts";
import type { PricingFacts } from "./pricing-facts.ts";
import {
  type CustomerPricingRow,
  loadCustomerPage,
  loadCustomerRows,
  loadOwnDiscounts,
  loadSharedRows,
  type PricingDiscountRow,
  type SharedPricingRows,
} from "./pricing-rows.ts";

// Everything that prices one token for a set of customers (billing-rules §3), loaded in a few queries and
// evaluated in memory. The single place where discounts are ordered and a tax rule is chosen: the uncached
// admin view, the in-memory GetTokenPricing index and invoicing all go through it. The index keeps one
// snapshot for its whole life and replaces parts of it (some customers, or the shared inputs) as they change.
//
// The index holds every customer, so what it keeps of one is kept small (docs/performance.md, "The pricing
// index at a million customers"): the fields pricing reads, with the values that repeat across customers
// (country, region, currency, client group) held once, and of a discount only what an answer shows.

const NO_TAX: TaxSet = { compound: false, rates: [] };

/** A discount as pricing keeps it, in its owner's list in the configured order. */
interface HeldDiscount {
  name: string;
  description: string;
  multiplier: string;
}

const byOrder = (a: PricingDiscountRow, b: PricingDiscountRow) =>
  a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Past this many distinct values an interner holds no more (kernel/interner.ts). Countries, regions,
 * currencies, groups and discount wordings are far fewer in any book; names unique to one customer stop here.
 */
const DISTINCT_VALUES = 10_000;
/** Customers a statement of the full load reads. */
const CUSTOMER_PAGE = 10_000;

/** A test's way in between the pages of a full load, where another connection's writes can land. */
export interface LoadHooks {
  afterPage?: () => Promise<void>;
}

export class PricingSnapshot {
  private currencies = new Map<string, Selectable<CurrencyTable>>();
  private readonly customers = new Map<bigint, CustomerPricingRow>();
  /** client group → its customers: a group's change finds its members without a scan of every customer. */
  private readonly groupMembers = new Map<bigint, Set<bigint>>();
  private groupDiscounts = new Map<bigint, HeldDiscount[]>();
  private readonly ownDiscounts = new Map<bigint, HeldDiscount[]>();
  private taxSets = new Map<bigint, TaxSet>();
  /** key: `country|region` (region empty for a country-wide rule) → rule id */
  private rulesByPlace = new Map<string, bigint>();
  private defaultRule: bigint | undefined;
  private readonly texts = new Interner<string>(DISTINCT_VALUES);
  private readonly ids = new Interner<bigint>(DISTINCT_VALUES);

  constructor(rows: {
    currencies: Selectable<CurrencyTable>[];
    customers: CustomerPricingRow[];
    discounts: PricingDiscountRow[];
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

  /** Discounts grouped by owner, each list in its configured order, each discount as it is held. */
  private byOwner(
    discounts: PricingDiscountRow[],
    owner: (d: PricingDiscountRow) => bigint | null,
  ): Map<bigint, HeldDiscount[]> {
    const map = new Map<bigint, HeldDiscount[]>();
    for (const d of [...discounts].sort(byOrder)) {
      const key = owner(d);
      if (key === null) continue;
      const held = {
        name: this.texts.of(d.name),
        description: this.texts.of(d.description),
        multiplier: this.texts.of(d.multiplier),
      };
      const list = map.get(key);
      if (list) list.push(held);
      else map.set(key, [held]);
    }
    return map;
  }

  /** A customer's row as it is held: the same fields, the repeated values shared. */
  private held(c: CustomerPricingRow): CustomerPricingRow {
    return {
      id: c.id,
      country: this.texts.of(c.country),
      region: c.region === null ? null : this.texts.of(c.region),
      tax_exempt: c.tax_exempt,
      client_group_id: c.client_group_id === null ? null : this.ids.of(c.client_group_id),
      tax_rule_id: c.tax_rule_id === null ? null : this.ids.of(c.tax_rule_id),
      currency_code: this.texts.of(c.currency_code),
    };
  }

  /** Loads all customers, or only the given ones (with just the rows they need). */
  static async load(db: Tx, customerIds?: bigint[], hooks: LoadHooks = {}): Promise<PricingSnapshot> {
    if (!customerIds) return PricingSnapshot.loadAll(db, hooks);
    const customers = await loadCustomerRows(db, customerIds);
    const groups = customerIds
      ? [...new Set(customers.flatMap((c) => (c.client_group_id === null ? [] : [c.client_group_id])))]
      : undefined;
    const [shared, own] = await Promise.all([loadSharedRows(db, groups), loadOwnDiscounts(db, customerIds)]);
    return new PricingSnapshot({ ...shared, customers, discounts: [...shared.groupDiscounts, ...own] });
  }

  /**
   * Every customer, a page at a time: each page's rows are held (held()) and dropped before the next is read,
   * so the load never has every customer's row twice, as node-postgres made it and as it is held; on the
   * embedded database one result of every customer would also grow PGlite's memory for good. The pages are
   * separate statements: a change committed between two of them is in the change log after the position the
   * index took before the load, and applied at its next check (pricing-index.ts). The shared rows
   * (currencies, tax rules, group discounts) are read after the last page: a customer may be in a currency or
   * under a tax rule created while the pages were read, and what a customer refers to cannot be deleted, so
   * rows read after every customer hold all that any of them refers to (read before, such a customer had no
   * currency and its answer was a 500).
   */
  private static async loadAll(db: Tx, hooks: LoadHooks): Promise<PricingSnapshot> {
    const own = await loadOwnDiscounts(db);
    const snapshot = new PricingSnapshot({
      currencies: [],
      taxRules: [],
      taxRates: [],
      customers: [],
      discounts: own,
    });
    for (let after = 0n; ; ) {
      const page = await loadCustomerPage(db, after, CUSTOMER_PAGE);
      for (const row of page) snapshot.add(row);
      if (page.length < CUSTOMER_PAGE) break;
      after = page.at(-1)!.id;
      await hooks.afterPage?.();
    }
    snapshot.replaceShared(await loadSharedRows(db));
    return snapshot;
  }

  /**
   * Replaces what is known of the given customers with `rows` and `ownDiscounts` (loaded for exactly those
   * ids); an id without a row is a deleted customer.
   */
  replaceCustomers(ids: bigint[], rows: CustomerPricingRow[], ownDiscounts: PricingDiscountRow[]): void {
    for (const id of ids) {
      const group = this.customers.get(id)?.client_group_id;
      if (group != null) this.groupMembers.get(group)?.delete(id);
      this.customers.delete(id);
      this.ownDiscounts.delete(id);
    }
    for (const row of rows) this.add(row);
    for (const [id, list] of this.byOwner(ownDiscounts, (d) => d.customer_id))
      this.ownDiscounts.set(id, list);
  }

  /** Holds one customer's row (none held for that id). */
  private add(row: CustomerPricingRow): void {
    const c = this.held(row);
    this.customers.set(c.id, c);
    if (c.client_group_id === null) return;
    const members = this.groupMembers.get(c.client_group_id);
    if (members) members.add(c.id);
    else this.groupMembers.set(c.client_group_id, new Set([c.id]));
  }

  /** Replaces the discounts of the given client groups with `discounts` (loaded for exactly those groups). */
  replaceGroupDiscounts(groupIds: bigint[], discounts: PricingDiscountRow[]): void {
    for (const id of groupIds) this.groupDiscounts.delete(id);
    for (const [id, list] of this.byOwner(discounts, (d) => d.client_group_id))
      this.groupDiscounts.set(id, list);
  }

  /** Replaces the shared inputs as a whole (they are few rows). */
  replaceShared(rows: SharedPricingRows): void {
    this.currencies = new Map(rows.currencies.map((c) => [c.code, c]));
    this.groupDiscounts = this.byOwner(rows.groupDiscounts, (d) => d.client_group_id);
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

  /** How many customers it holds. */
  get size(): number {
    return this.customers.size;
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
