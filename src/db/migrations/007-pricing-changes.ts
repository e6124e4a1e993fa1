import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";
import { up as createPricingVersion } from "./002-pricing-version.ts";

// A log of pricing changes, so that each instance's in-memory GetTokenPricing index refreshes only what
// changed instead of reloading every customer on any change (it replaces 002's single version counter).
// Row-level triggers record who is affected: a customer (its row or its own discounts), a client group (its
// discounts), or everyone (currency, tax rule, tax rate: customer_id and client_group_id both null).
// `xid` is the writing transaction: readers find rows they have not seen by transaction visibility, not by
// id, because ids are taken before commit and commit in any order (see pricing-changes.ts).
// `pricing_change_prune` bounds the log: rows are deleted only below a transaction horizon recorded at least
// a retention period earlier, and `below` tells a reader that fell further behind to reload everything.
export async function up(db: Kysely<unknown>): Promise<void> {
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

    CREATE TABLE pricing_change (
      id bigserial PRIMARY KEY,
      customer_id bigint,
      client_group_id bigint,
      xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX pricing_change_xid ON pricing_change (xid);

    CREATE TABLE pricing_change_prune (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      below xid8 NOT NULL,
      pending_below xid8 NOT NULL,
      pending_at timestamptz NOT NULL
    );
    INSERT INTO pricing_change_prune (singleton, below, pending_below, pending_at)
    VALUES (true, '0', pg_snapshot_xmin(pg_current_snapshot()), now());

    CREATE FUNCTION log_customer_pricing_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'DELETE' THEN INSERT INTO pricing_change (customer_id) VALUES (OLD.id); ELSE INSERT INTO pricing_change (customer_id) VALUES (NEW.id); END IF; RETURN NULL; END $$;
    CREATE TRIGGER customer_pricing_change AFTER INSERT OR DELETE ON customer
      FOR EACH ROW EXECUTE FUNCTION log_customer_pricing_change();
    -- Only the columns that change a price: status or sync bookkeeping must not touch the index.
    CREATE TRIGGER customer_pricing_columns_change AFTER UPDATE ON customer
      FOR EACH ROW WHEN (
        OLD.currency_code IS DISTINCT FROM NEW.currency_code OR OLD.country IS DISTINCT FROM NEW.country
        OR OLD.region IS DISTINCT FROM NEW.region OR OLD.tax_exempt IS DISTINCT FROM NEW.tax_exempt
        OR OLD.client_group_id IS DISTINCT FROM NEW.client_group_id OR OLD.tax_rule_id IS DISTINCT FROM NEW.tax_rule_id
      ) EXECUTE FUNCTION log_customer_pricing_change();

    -- A discount belongs to a customer or to a client group; a change of owner concerns both owners.
    CREATE FUNCTION log_discount_pricing_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP <> 'INSERT' THEN INSERT INTO pricing_change (customer_id, client_group_id) VALUES (OLD.customer_id, OLD.client_group_id); END IF; IF TG_OP = 'INSERT' THEN INSERT INTO pricing_change (customer_id, client_group_id) VALUES (NEW.customer_id, NEW.client_group_id); ELSIF TG_OP = 'UPDATE' THEN IF NEW.customer_id IS DISTINCT FROM OLD.customer_id OR NEW.client_group_id IS DISTINCT FROM OLD.client_group_id THEN INSERT INTO pricing_change (customer_id, client_group_id) VALUES (NEW.customer_id, NEW.client_group_id); END IF; END IF; RETURN NULL; END $$;
    CREATE TRIGGER discount_pricing_change AFTER INSERT OR UPDATE OR DELETE ON discount
      FOR EACH ROW EXECUTE FUNCTION log_discount_pricing_change();

    -- Shared inputs are few rows and rarely edited: one row per statement says "everyone".
    CREATE FUNCTION log_shared_pricing_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO pricing_change DEFAULT VALUES; RETURN NULL; END $$;
    CREATE TRIGGER currency_pricing_change AFTER INSERT OR UPDATE OR DELETE ON currency
      FOR EACH STATEMENT EXECUTE FUNCTION log_shared_pricing_change();
    CREATE TRIGGER tax_rule_pricing_change AFTER INSERT OR UPDATE OR DELETE ON tax_rule
      FOR EACH STATEMENT EXECUTE FUNCTION log_shared_pricing_change();
    CREATE TRIGGER tax_rate_pricing_change AFTER INSERT OR UPDATE OR DELETE ON tax_rate
      FOR EACH STATEMENT EXECUTE FUNCTION log_shared_pricing_change();
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TRIGGER tax_rate_pricing_change ON tax_rate;
    DROP TRIGGER tax_rule_pricing_change ON tax_rule;
    DROP TRIGGER currency_pricing_change ON currency;
    DROP TRIGGER discount_pricing_change ON discount;
    DROP TRIGGER customer_pricing_columns_change ON customer;
    DROP TRIGGER customer_pricing_change ON customer;
    DROP FUNCTION log_shared_pricing_change();
    DROP FUNCTION log_discount_pricing_change();
    DROP FUNCTION log_customer_pricing_change();
    DROP TABLE pricing_change_prune;
    DROP TABLE pricing_change;
    `,
  );
  await createPricingVersion(db);
}
