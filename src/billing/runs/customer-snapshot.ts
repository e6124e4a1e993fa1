import type { Tx } from "../../kernel/context.ts";
import { CUSTOMER_PRICING_COLUMNS, type CustomerPricingRow } from "../../services/pricing/pricing-rows.ts";

/** The customer details an invoice keeps as they were when it was made. */
export interface CustomerSnapshot {
  name: string;
  email: string;
  country: string;
  region: string | null;
}

/**
 * A batch's customers (= the billing_user_ids SolusIO reports) in one query: the details the invoice keeps,
 * and the row its pricing is computed from.
 */
export async function loadCustomerBatch(
  db: Tx,
  ids: readonly bigint[],
): Promise<{ snapshots: Map<bigint, CustomerSnapshot>; pricing: CustomerPricingRow[] }> {
  const rows =
    ids.length === 0
      ? []
      : await db
          .selectFrom("customer")
          .select([...CUSTOMER_PRICING_COLUMNS, "name", "email"])
          .where("id", "in", ids)
          .execute();
  return {
    snapshots: new Map(
      rows.map((r) => [r.id, { name: r.name, email: r.email, country: r.country, region: r.region }]),
    ),
    // The rows as they are: the pricing snapshot keeps only its own fields of them (PricingSnapshot.held).
    pricing: rows,
  };
}
