import type { Tx } from "../../kernel/context.ts";
import type { CustomerPricingRow } from "../../services/pricing/pricing-rows.ts";

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
          .select([
            "id",
            "name",
            "email",
            "country",
            "region",
            "tax_exempt",
            "client_group_id",
            "tax_rule_id",
            "currency_code",
          ])
          .where("id", "in", ids)
          .execute();
  return {
    snapshots: new Map(
      rows.map((r) => [r.id, { name: r.name, email: r.email, country: r.country, region: r.region }]),
    ),
    pricing: rows.map((r) => ({
      id: r.id,
      country: r.country,
      region: r.region,
      tax_exempt: r.tax_exempt,
      client_group_id: r.client_group_id,
      tax_rule_id: r.tax_rule_id,
      currency_code: r.currency_code,
    })),
  };
}
