import type { Tx } from "../../kernel/context.ts";
import { type LogPosition, type PricingChanges, readPricingChanges } from "./pricing-changes.ts";
import {
  type CustomerPricingRow,
  loadCustomerRows,
  loadGroupDiscounts,
  loadOwnDiscounts,
  loadSharedRows,
  type PricingDiscountRow,
  type SharedPricingRows,
} from "./pricing-rows.ts";

/** The rows a set of changes names, loaded for exactly its customers and groups (pricing-index.ts applies them). */
export interface ChangedRows {
  customers: CustomerPricingRow[];
  ownDiscounts: PricingDiscountRow[];
  groupDiscounts: PricingDiscountRow[];
  /** Present when a shared input changed (then the group discounts are in it, every group's). */
  shared: SharedPricingRows | undefined;
}

/** Whether the changes are applied one by one (else the index reloads everything, and no rows are read). */
const appliedOneByOne = (c: PricingChanges) => !c.behind && !c.tooMany && !c.everything;

/**
 * The changes committed since `since`, and the rows they name, all read as of one database snapshot: one
 * read-only REPEATABLE READ transaction. Read in separate statements (on PostgreSQL on separate connections),
 * a write committed between the log read and the rows reached the index half: a customer moved to a currency
 * made meanwhile had no currency (GetTokenPricing answered 500), one given a new tax rule was answered without
 * tax, until the next check. Most checks find nothing: they take one statement, outside any transaction, and
 * only a check that finds changes reads the log again, with the rows, in the transaction.
 */
export async function readChangedRows(
  db: Tx,
  since: LogPosition,
  max: number,
): Promise<{ changes: PricingChanges; rows: ChangedRows | undefined }> {
  const first = await readPricingChanges(db, since, max);
  const nothing = first.customers.size === 0 && first.groups.size === 0 && !first.shared;
  if (!appliedOneByOne(first) || nothing) return { changes: first, rows: undefined };
  return db
    .transaction()
    .setIsolationLevel("repeatable read")
    .setAccessMode("read only")
    .execute(async (trx) => {
      const changes = await readPricingChanges(trx, since, max);
      if (!appliedOneByOne(changes)) return { changes, rows: undefined };
      const ids = [...changes.customers];
      const groups = changes.shared ? [] : [...changes.groups];
      // One after another: a transaction is one connection.
      const customers = ids.length ? await loadCustomerRows(trx, ids) : [];
      const ownDiscounts = ids.length ? await loadOwnDiscounts(trx, ids) : [];
      const groupDiscounts = groups.length ? await loadGroupDiscounts(trx, groups) : [];
      const shared = changes.shared ? await loadSharedRows(trx) : undefined;
      return { changes, rows: { customers, ownDiscounts, groupDiscounts, shared } };
    });
}
