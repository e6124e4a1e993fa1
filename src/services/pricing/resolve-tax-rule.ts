import { sql } from "kysely";
import { Decimal } from "../../domain/decimal.ts";
import type { TaxSet } from "../../domain/pricing.ts";
import type { Tx } from "../context.ts";

const NO_TAX: TaxSet = { compound: false, rates: [] };

/**
 * Picks the customer's tax rule: the explicit one, else (country, region), else (country, any region),
 * else the default rule, else no tax. One query, ordered by how specific the match is.
 */
export async function resolveTaxRule(
  db: Tx,
  customer: { tax_rule_id: bigint | null; country: string; region: string | null },
): Promise<TaxSet> {
  const rule = await db
    .selectFrom("tax_rule")
    .select(["id", "compound"])
    .where((eb) =>
      customer.tax_rule_id !== null
        ? eb("id", "=", customer.tax_rule_id)
        : eb.or([
            eb.and([eb("country", "=", customer.country), eb("region", "is", null)]),
            ...(customer.region
              ? [eb.and([eb("country", "=", customer.country), eb("region", "=", customer.region)])]
              : []),
            eb("is_default", "=", true),
          ]),
    )
    .orderBy(sql`CASE WHEN region IS NOT NULL THEN 0 WHEN country IS NOT NULL THEN 1 ELSE 2 END`)
    .limit(1)
    .executeTakeFirst();
  if (!rule) return NO_TAX;
  const rates = await db
    .selectFrom("tax_rate")
    .select(["label", "rate"])
    .where("tax_rule_id", "=", rule.id)
    .orderBy("position")
    .execute();
  return {
    compound: rule.compound,
    rates: rates.map((r) => ({ label: r.label, rate: Decimal.parse(r.rate) })),
  };
}
