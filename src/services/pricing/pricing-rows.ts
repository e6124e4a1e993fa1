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

export interface SharedPricingRows {
  currencies: Selectable<CurrencyTable>[];
  /** Discounts owned by client groups only. */
  groupDiscounts: Selectable<DiscountTable>[];
  taxRules: Selectable<TaxRuleTable>[];
  taxRates: Selectable<TaxRateTable>[];
}

// `in ()` is not SQL; no id is 0, so [0n] matches nothing.
const orNothing = (ids: bigint[]) => (ids.length ? ids : [0n]);

/** All customers, or only the given ones (absent ids simply yield no row). */
export function loadCustomerRows(db: Tx, ids?: bigint[]): Promise<CustomerPricingRow[]> {
  let query = db
    .selectFrom("customer")
    .select(["id", "country", "region", "tax_exempt", "client_group_id", "tax_rule_id", "currency_code"]);
  if (ids) query = query.where("id", "in", orNothing(ids));
  return query.execute();
}

/** Discounts owned by customers: all, or those of the given customers. */
export function loadOwnDiscounts(db: Tx, customerIds?: bigint[]): Promise<Selectable<DiscountTable>[]> {
  let query = db.selectFrom("discount").selectAll();
  query = customerIds
    ? query.where("customer_id", "in", orNothing(customerIds))
    : query.where("customer_id", "is not", null);
  return query.execute();
}

/** Discounts owned by client groups: all, or those of the given groups. */
export function loadGroupDiscounts(db: Tx, groupIds?: bigint[]): Promise<Selectable<DiscountTable>[]> {
  let query = db.selectFrom("discount").selectAll();
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
