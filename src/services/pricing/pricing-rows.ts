import type { Selectable } from "kysely";
import type {
  CurrencyTable,
  CustomerTable,
  DiscountTable,
  TaxRateTable,
  TaxRuleTable,
} from "../../db/schema.ts";
import type { Tx } from "../../kernel/context.ts";

// The queries behind PricingSnapshot, split the way the index refreshes: per customer (its row and its own
// discounts) and shared (currencies, group discounts, tax rules and rates — few rows, loaded whole).

export type CustomerPricingRow = Pick<
  Selectable<CustomerTable>,
  "id" | "country" | "region" | "tax_exempt" | "client_group_id" | "tax_rule_id" | "currency_code"
>;

/** What pricing reads of a discount: whose it is, its place in the order, and what an answer shows of it. */
export type PricingDiscountRow = Pick<
  Selectable<DiscountTable>,
  "id" | "name" | "description" | "multiplier" | "position" | "customer_id" | "client_group_id"
>;

export interface SharedPricingRows {
  currencies: Selectable<CurrencyTable>[];
  /** Discounts owned by client groups only. */
  groupDiscounts: PricingDiscountRow[];
  taxRules: Selectable<TaxRuleTable>[];
  taxRates: Selectable<TaxRateTable>[];
}

// `in ()` is not SQL; no id is 0, so [0n] matches nothing.
const orNothing = (ids: bigint[]) => (ids.length ? ids : [0n]);

const CUSTOMER_COLUMNS = [
  "id",
  "country",
  "region",
  "tax_exempt",
  "client_group_id",
  "tax_rule_id",
  "currency_code",
] as const;

/** The given customers (absent ids simply yield no row). */
export function loadCustomerRows(db: Tx, ids: bigint[]): Promise<CustomerPricingRow[]> {
  return db.selectFrom("customer").select(CUSTOMER_COLUMNS).where("id", "in", orNothing(ids)).execute();
}

/** The next `limit` customers by id after `after` (keyset pagination: every page a short index range). */
export function loadCustomerPage(db: Tx, after: bigint, limit: number): Promise<CustomerPricingRow[]> {
  return db
    .selectFrom("customer")
    .select(CUSTOMER_COLUMNS)
    .where("id", ">", after)
    .orderBy("id")
    .limit(limit)
    .execute();
}

const DISCOUNT_COLUMNS = [
  "id",
  "name",
  "description",
  "multiplier",
  "position",
  "customer_id",
  "client_group_id",
] as const;

/** Discounts owned by customers: all, or those of the given customers. */
export function loadOwnDiscounts(db: Tx, customerIds?: bigint[]): Promise<PricingDiscountRow[]> {
  let query = db.selectFrom("discount").select(DISCOUNT_COLUMNS);
  query = customerIds
    ? query.where("customer_id", "in", orNothing(customerIds))
    : query.where("customer_id", "is not", null);
  return query.execute();
}

/** Discounts owned by client groups: all, or those of the given groups. */
export function loadGroupDiscounts(db: Tx, groupIds?: bigint[]): Promise<PricingDiscountRow[]> {
  let query = db.selectFrom("discount").select(DISCOUNT_COLUMNS);
  query = groupIds
    ? query.where("client_group_id", "in", orNothing(groupIds))
    : query.where("client_group_id", "is not", null);
  return query.execute();
}

/** The shared inputs; group discounts of every group, or only of the given groups. */
export async function loadSharedRows(db: Tx, groupIds?: bigint[]): Promise<SharedPricingRows> {
  const [currencies, groupDiscounts, taxRules, taxRates] = await Promise.all([
    db.selectFrom("currency").selectAll().execute(),
    loadGroupDiscounts(db, groupIds),
    db.selectFrom("tax_rule").selectAll().execute(),
    db.selectFrom("tax_rate").selectAll().execute(),
  ]);
  return { currencies, groupDiscounts, taxRules, taxRates };
}
