import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// A counter that every change to pricing inputs bumps (statement-level triggers). Each tokenbill instance
// keeps GetTokenPricing answers in memory and polls this one row to learn that another instance changed
// something, so the staleness bound across instances is the poll interval (PRICING_REFRESH_MS).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE pricing_version (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      version bigint NOT NULL
    );
    INSERT INTO pricing_version (singleton, version) VALUES (true, 1);

    CREATE FUNCTION bump_pricing_version() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE pricing_version SET version = version + 1; RETURN NULL; END $$;

    CREATE TRIGGER currency_pricing AFTER INSERT OR UPDATE OR DELETE ON currency
      FOR EACH STATEMENT EXECUTE FUNCTION bump_pricing_version();
    CREATE TRIGGER discount_pricing AFTER INSERT OR UPDATE OR DELETE ON discount
      FOR EACH STATEMENT EXECUTE FUNCTION bump_pricing_version();
    CREATE TRIGGER tax_rule_pricing AFTER INSERT OR UPDATE OR DELETE ON tax_rule
      FOR EACH STATEMENT EXECUTE FUNCTION bump_pricing_version();
    CREATE TRIGGER tax_rate_pricing AFTER INSERT OR UPDATE OR DELETE ON tax_rate
      FOR EACH STATEMENT EXECUTE FUNCTION bump_pricing_version();
    CREATE TRIGGER customer_pricing_rows AFTER INSERT OR DELETE ON customer
      FOR EACH STATEMENT EXECUTE FUNCTION bump_pricing_version();
    -- Only the columns that change a price: status or sync bookkeeping must not invalidate every instance.
    CREATE TRIGGER customer_pricing_columns
      AFTER UPDATE OF currency_code, country, region, tax_exempt, client_group_id, tax_rule_id ON customer
      FOR EACH STATEMENT EXECUTE FUNCTION bump_pricing_version();
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TRIGGER customer_pricing_columns ON customer;
    DROP TRIGGER customer_pricing_rows ON customer;
    DROP TRIGGER tax_rate_pricing ON tax_rate;
    DROP TRIGGER tax_rule_pricing ON tax_rule;
    DROP TRIGGER discount_pricing ON discount;
    DROP TRIGGER currency_pricing ON currency;
    DROP FUNCTION bump_pricing_version();
    DROP TABLE pricing_version;
    `,
  );
}
