import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { Database } from "../../src/db/schema.ts";

/**
 * A realistic book of customers for the pricing benchmark: several currencies, a third in client groups with
 * discounts, some with their own discount, country tax rules (simple and compound) and a few exempt.
 */
export async function seedCustomers(db: Kysely<Database>, count: number): Promise<void> {
  await sql`INSERT INTO currency (code, exponent, token_unit_cost, display_prefix) VALUES ('GBP', 2, 0.00079, '£') ON CONFLICT DO NOTHING`.execute(
    db,
  );
  await sql`INSERT INTO client_group (name) SELECT 'group ' || g FROM generate_series(1, 20) g`.execute(db);
  await sql`INSERT INTO discount (name, description, multiplier, client_group_id)
            SELECT 'Group discount', '5% recurring', 0.95, id FROM client_group`.execute(db);
  const countries = ["DE", "FR", "GB", "US", "NL", "CA"];
  for (const [i, country] of countries.entries()) {
    await sql`INSERT INTO tax_rule (name, compound, country) VALUES (${`${country} tax`}, ${i % 2 === 0}, ${country})`.execute(
      db,
    );
    await sql`INSERT INTO tax_rate (tax_rule_id, position, label, rate)
              SELECT id, 0, 'VAT', ${String(5 + i)} FROM tax_rule WHERE country = ${country}`.execute(db);
    if (i % 2 === 0) {
      await sql`INSERT INTO tax_rate (tax_rule_id, position, label, rate)
                SELECT id, 1, 'City Tax', 2 FROM tax_rule WHERE country = ${country}`.execute(db);
    }
  }
  await sql`
    INSERT INTO customer (email, name, country, currency_code, tax_exempt, client_group_id)
    SELECT 'customer' || n || '@example.com', 'Customer ' || n,
           (ARRAY['DE','FR','GB','US','NL','CA'])[1 + n % 6],
           (ARRAY['USD','EUR','GBP'])[1 + n % 3],
           n % 17 = 0,
           CASE WHEN n % 3 = 0 THEN 1 + n % 20 END
    FROM generate_series(1, ${count}) n`.execute(db);
  await sql`INSERT INTO discount (name, description, multiplier, customer_id)
            SELECT 'Loyalty', '10% loyalty', 0.9, id FROM customer WHERE id % 5 = 0`.execute(db);
}
