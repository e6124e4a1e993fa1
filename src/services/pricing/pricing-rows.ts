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

/**
 * Ids a statement's `in (…)` list takes. A statement carries at most 65,535 parameters (the protocol counts
 * them in 16 bits), so a longer list fails whole: the console's month-to-date estimate, which prices every
 * customer with usage, failed that way from 65,536 customers on.
 */
const IDS_A_STATEMENT = 10_000;

/** Rows for any number of ids, a statement per IDS_A_STATEMENT of them, in the order of the chunks. */
async function byChunks<R>(ids: bigint[], load: (chunk: bigint[]) => Promise<R[]>): Promise<R[]> {
  if (ids.length <= IDS_A_STATEMENT) return load(ids);
  const rows: R[] = [];
  for (let i = 0; i < ids.length; i += IDS_A_STATEMENT)
    for (const row of await load(ids.slice(i, i + IDS_A_STATEMENT))) rows.push(row);
  return rows;
}

/** The customer columns pricing reads (billing's batch read adds its own to them). */
export const CUSTOMER_PRICING_COLUMNS = [
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
  return byChunks(ids, (chunk) =>
    db.selectFrom("customer").select(CUSTOMER_PRICING_COLUMNS).where("id", "in", orNothing(chunk)).execute(),
  );
}

/** The next `limit` customers by id after `after` (keyset pagination: every page a short index range). */
export function loadCustomerPage(db: Tx, after: bigint, limit: number): Promise<CustomerPricingRow[]> {
  return db
    .selectFrom("customer")
    .select(CUSTOMER_PRICING_COLUMNS)
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
  const query = db.selectFrom("discount").select(DISCOUNT_COLUMNS);
  if (!customerIds) return query.where("customer_id", "is not", null).execute();
  return byChunks(customerIds, (chunk) => query.where("customer_id", "in", orNothing(chunk)).execute());
}

/** Discounts owned by client groups: all, or those of the given groups. */
export function loadGroupDiscounts(db: Tx, groupIds?: bigint[]): Promise<PricingDiscountRow[]> {
  const query = db.selectFrom("discount").select(DISCOUNT_COLUMNS);
  if (!groupIds) return query.where("client_group_id", "is not", null).execute();
  return byChunks(groupIds, (chunk) => query.where("client_group_id", "in", orNothing(chunk)).execute());
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
