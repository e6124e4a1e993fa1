import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// Currencies, customers, client groups, discounts, tax rules, admin API keys and the audit log.
// Invariants live in constraints (house style §5): the API validates too, but the database has the last word.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE currency (
      code text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
      exponent smallint NOT NULL CHECK (exponent BETWEEN 0 AND 4),
      token_unit_cost numeric(30, 12) NOT NULL CHECK (token_unit_cost > 0),
      display_prefix text NOT NULL DEFAULT '',
      display_suffix text NOT NULL DEFAULT '',
      thousands_separator text NOT NULL DEFAULT ',' CHECK (length(thousands_separator) <= 2),
      decimals_separator text NOT NULL DEFAULT '.' CHECK (length(decimals_separator) BETWEEN 1 AND 2),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE client_group (
      id bigserial PRIMARY KEY,
      name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
      description text NOT NULL DEFAULT '',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE tax_rule (
      id bigserial PRIMARY KEY,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      compound boolean NOT NULL DEFAULT false,
      country text CHECK (country ~ '^[A-Z]{2}$'),
      region text CHECK (region IS NULL OR country IS NOT NULL),
      is_default boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    -- One default rule, and one rule per (country, region): the choice per customer is never ambiguous.
    CREATE UNIQUE INDEX tax_rule_one_default ON tax_rule (is_default) WHERE is_default;
    CREATE UNIQUE INDEX tax_rule_place ON tax_rule (country, coalesce(region, '')) WHERE country IS NOT NULL;

    CREATE TABLE tax_rate (
      tax_rule_id bigint NOT NULL REFERENCES tax_rule (id) ON DELETE CASCADE,
      position integer NOT NULL CHECK (position >= 0),
      label text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
      rate numeric(9, 4) NOT NULL CHECK (rate >= 0 AND rate <= 100),
      PRIMARY KEY (tax_rule_id, position)
    );

    CREATE TABLE customer (
      id bigserial PRIMARY KEY,
      email text NOT NULL CHECK (email LIKE '%_@_%'),
      name text NOT NULL DEFAULT '',
      country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
      region text,
      currency_code text NOT NULL REFERENCES currency (code),
      tax_exempt boolean NOT NULL DEFAULT false,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'locked', 'suspended')),
      client_group_id bigint REFERENCES client_group (id),
      tax_rule_id bigint REFERENCES tax_rule (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX customer_email_unique ON customer (lower(email));
    CREATE INDEX customer_client_group ON customer (client_group_id);

    CREATE TABLE discount (
      id bigserial PRIMARY KEY,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      description text NOT NULL DEFAULT '',
      multiplier numeric(13, 12) NOT NULL CHECK (multiplier >= 0 AND multiplier <= 1),
      client_group_id bigint REFERENCES client_group (id) ON DELETE CASCADE,
      customer_id bigint REFERENCES customer (id) ON DELETE CASCADE,
      position integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      -- A discount belongs to exactly one owner: a client group or a single customer.
      CHECK ((client_group_id IS NULL) <> (customer_id IS NULL))
    );
    CREATE INDEX discount_group ON discount (client_group_id);
    CREATE INDEX discount_customer ON discount (customer_id);

    CREATE TABLE api_key (
      id text PRIMARY KEY,
      name text NOT NULL,
      key_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    );

    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor text NOT NULL,
      request_id text,
      action text NOT NULL,
      entity text NOT NULL,
      entity_id text NOT NULL,
      before jsonb,
      after jsonb
    );
    CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

    -- The seed's conversion scheme (step 1) as the starting point of a fresh installation; editable.
    INSERT INTO currency (code, exponent, token_unit_cost, display_prefix, display_suffix)
    VALUES ('USD', 2, 0.001, '$', ''), ('EUR', 2, 0.00091, '€', '');
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TABLE audit_log; DROP TABLE api_key; DROP TABLE discount; DROP TABLE customer;
    DROP TABLE tax_rate; DROP TABLE tax_rule; DROP TABLE client_group; DROP TABLE currency;
  `,
  );
}
