import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// The billing cycle: server snapshots (usage source b), billing runs with their anomalies, invoices
// with their lines, and the gapless number counters. The invariants of billing-rules §5 live here:
// one invoice per (customer, period), numbers unique per sequence, and a finalized invoice never changes.
// Function bodies are written so that no line inside them ends with a semicolon (see runStatements).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE server_poll (
      id bigserial PRIMARY KEY,
      started_at timestamptz NOT NULL,
      finished_at timestamptz NOT NULL,
      servers integer NOT NULL CHECK (servers >= 0)
    );
    CREATE INDEX server_poll_started ON server_poll (started_at);

    -- Usage source (b): what the polls of GET servers saw. A server is known to exist from created_at (as
    -- SolusIO reports it) until at least last_seen_at; gone_at is the first complete poll without it.
    CREATE TABLE server_snapshot (
      server_id bigint PRIMARY KEY,
      uuid text NOT NULL,
      name text NOT NULL,
      solusio_user_id bigint,
      billing_user_id bigint,
      plan_id bigint,
      plan_name text NOT NULL,
      tokens_per_hour bigint NOT NULL CHECK (tokens_per_hour >= 0),
      tokens_per_month bigint NOT NULL CHECK (tokens_per_month >= 0),
      ip_tokens_per_hour bigint NOT NULL CHECK (ip_tokens_per_hour >= 0),
      ip_tokens_per_month bigint NOT NULL CHECK (ip_tokens_per_month >= 0),
      additional_ips integer NOT NULL CHECK (additional_ips >= 0),
      created_at timestamptz NOT NULL,
      first_seen_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      gone_at timestamptz,
      CHECK (last_seen_at >= first_seen_at)
    );

    CREATE TABLE billing_run (
      id text PRIMARY KEY CHECK (id ~ '^run_[0-9a-f]+$'),
      period text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      period_start timestamptz NOT NULL,
      period_end timestamptz NOT NULL,
      source text NOT NULL,
      state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'completed', 'failed')),
      phase text NOT NULL DEFAULT 'importing'
        CHECK (phase IN ('importing', 'drafting', 'finalizing', 'done')),
      processed integer NOT NULL DEFAULT 0 CHECK (processed >= 0),
      total integer NOT NULL DEFAULT 0 CHECK (total >= 0),
      summary jsonb,
      error text,
      actor text NOT NULL,
      started_at timestamptz NOT NULL,
      heartbeat_at timestamptz NOT NULL,
      finished_at timestamptz,
      CHECK (period_end > period_start)
    );
    CREATE INDEX billing_run_period ON billing_run (period, started_at);

    CREATE TABLE billing_anomaly (
      id bigserial PRIMARY KEY,
      billing_run_id text NOT NULL REFERENCES billing_run (id) ON DELETE CASCADE,
      period text NOT NULL,
      kind text NOT NULL,
      customer_id bigint,
      billing_user_id bigint,
      server_id bigint,
      message text NOT NULL,
      details jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX billing_anomaly_run ON billing_anomaly (billing_run_id, id);

    -- One row per number sequence ("INV-2026-"): finalization locks it, so numbers are gapless (§5).
    CREATE TABLE invoice_number_counter (
      sequence text PRIMARY KEY,
      last_value bigint NOT NULL DEFAULT 0 CHECK (last_value >= 0)
    );

    -- Calendar dates (issue, due, paid) are text YYYY-MM-DD: both drivers would turn a date column into a
    -- JavaScript Date at local midnight, which shifts with the process time zone.
    CREATE TABLE invoice (
      id text PRIMARY KEY CHECK (id ~ '^inv_[0-9a-f]+$'),
      customer_id bigint NOT NULL REFERENCES customer (id),
      period text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      period_start timestamptz NOT NULL,
      period_end timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'finalized', 'paid', 'void')),
      number text UNIQUE,
      number_sequence text,
      number_value bigint CHECK (number_value > 0),
      customer_name text NOT NULL,
      customer_email text NOT NULL,
      customer_country text NOT NULL,
      customer_region text,
      currency_code text NOT NULL,
      currency jsonb NOT NULL,
      base_token_unit_cost numeric(30, 12) NOT NULL CHECK (base_token_unit_cost >= 0),
      tax_compound boolean NOT NULL,
      tax_exempt boolean NOT NULL,
      tokens bigint NOT NULL CHECK (tokens >= 0),
      subtotal bigint NOT NULL CHECK (subtotal >= 0),
      discount_total bigint NOT NULL CHECK (discount_total >= 0),
      net bigint NOT NULL CHECK (net >= 0),
      tax_total bigint NOT NULL CHECK (tax_total >= 0),
      total bigint NOT NULL CHECK (total >= 0),
      discounts jsonb NOT NULL DEFAULT '[]',
      taxes jsonb NOT NULL DEFAULT '[]',
      fingerprint text NOT NULL,
      billing_run_id text NOT NULL REFERENCES billing_run (id),
      issue_date text CHECK (issue_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
      due_date text CHECK (due_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
      finalized_at timestamptz,
      paid_at timestamptz,
      paid_date text CHECK (paid_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
      paid_amount bigint CHECK (paid_amount >= 0),
      paid_reference text,
      voided_at timestamptz,
      void_reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      -- At most one usage invoice per customer and period (§5): re-runs and concurrent runs rely on it.
      CONSTRAINT invoice_customer_period_unique UNIQUE (customer_id, period),
      CONSTRAINT invoice_number_value_unique UNIQUE (number_sequence, number_value),
      CHECK (net = subtotal - discount_total),
      CHECK (total = net + tax_total),
      CHECK (status <> 'draft' OR number IS NULL),
      CHECK (status NOT IN ('finalized', 'paid') OR (number IS NOT NULL AND issue_date IS NOT NULL AND due_date IS NOT NULL)),
      CHECK ((number IS NULL) = (number_sequence IS NULL) AND (number IS NULL) = (number_value IS NULL)),
      CHECK (status <> 'paid' OR (paid_date IS NOT NULL AND paid_amount IS NOT NULL)),
      CHECK (status <> 'void' OR voided_at IS NOT NULL)
    );
    CREATE INDEX invoice_period_status ON invoice (period, status, customer_id);

    CREATE TABLE invoice_line (
      invoice_id text NOT NULL REFERENCES invoice (id) ON DELETE CASCADE,
      position integer NOT NULL CHECK (position >= 0),
      kind text NOT NULL CHECK (kind IN ('server', 'additional_ips')),
      server_id bigint NOT NULL,
      server_uuid text NOT NULL,
      server_name text NOT NULL,
      plan_name text NOT NULL,
      server_created_at timestamptz NOT NULL,
      server_deleted_at timestamptz,
      quantity bigint NOT NULL CHECK (quantity >= 0),
      hours bigint NOT NULL CHECK (hours >= 0),
      charge_kind text NOT NULL CHECK (charge_kind IN ('hourly', 'monthly_cap', 'monthly_fixed', 'free')),
      tokens bigint NOT NULL CHECK (tokens >= 0),
      recomputed_tokens bigint NOT NULL CHECK (recomputed_tokens >= 0),
      unit_cost numeric(30, 12) NOT NULL CHECK (unit_cost >= 0),
      amount bigint NOT NULL CHECK (amount >= 0),
      PRIMARY KEY (invoice_id, position)
    );

    -- A finalized invoice never changes (§5): after finalization only the payment and void fields may be
    -- set, along the transitions finalized → paid | void; corrections are new documents.
    CREATE FUNCTION invoice_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN RAISE EXCEPTION 'invoice % is % and cannot be deleted', OLD.id, OLD.status USING ERRCODE = 'check_violation'; END IF
        ; RETURN OLD
      ; END IF
      ; IF OLD.status <> NEW.status AND (OLD.status, NEW.status) NOT IN (('draft', 'finalized'), ('draft', 'void'), ('finalized', 'paid'), ('finalized', 'void')) THEN
        RAISE EXCEPTION 'invoice % cannot go from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'check_violation'
      ; END IF
      ; IF OLD.status <> 'draft' AND (to_jsonb(OLD) - ARRAY['status', 'paid_at', 'paid_date', 'paid_amount', 'paid_reference', 'voided_at', 'void_reason', 'updated_at']) IS DISTINCT FROM (to_jsonb(NEW) - ARRAY['status', 'paid_at', 'paid_date', 'paid_amount', 'paid_reference', 'voided_at', 'void_reason', 'updated_at']) THEN
        RAISE EXCEPTION 'invoice % is % and its content cannot change', OLD.id, OLD.status USING ERRCODE = 'check_violation'
      ; END IF
      ; RETURN NEW
    ; END $$;
    CREATE TRIGGER invoice_guard BEFORE UPDATE OR DELETE ON invoice FOR EACH ROW EXECUTE FUNCTION invoice_guard();

    -- Lines are written with their draft; afterwards they are frozen with it. Inserts are checked once per
    -- statement (a billing run writes thousands of lines in one statement).
    CREATE FUNCTION invoice_line_guard_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM invoice WHERE id = OLD.invoice_id AND status <> 'draft') THEN
        RAISE EXCEPTION 'the lines of invoice % are final', OLD.invoice_id USING ERRCODE = 'check_violation'
      ; END IF
      ; IF TG_OP = 'DELETE' THEN RETURN OLD; END IF
      ; RETURN NEW
    ; END $$;
    CREATE TRIGGER invoice_line_guard_row BEFORE UPDATE OR DELETE ON invoice_line
      FOR EACH ROW EXECUTE FUNCTION invoice_line_guard_row();

    CREATE FUNCTION invoice_line_guard_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM added_lines a JOIN invoice i ON i.id = a.invoice_id WHERE i.status <> 'draft') THEN
        RAISE EXCEPTION 'lines cannot be added to an invoice that is not a draft' USING ERRCODE = 'check_violation'
      ; END IF
      ; RETURN NULL
    ; END $$;
    CREATE TRIGGER invoice_line_guard_insert AFTER INSERT ON invoice_line
      REFERENCING NEW TABLE AS added_lines FOR EACH STATEMENT EXECUTE FUNCTION invoice_line_guard_insert();
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TABLE invoice_line;
    DROP TABLE invoice;
    DROP FUNCTION invoice_line_guard_insert();
    DROP FUNCTION invoice_line_guard_row();
    DROP FUNCTION invoice_guard();
    DROP TABLE invoice_number_counter;
    DROP TABLE billing_anomaly;
    DROP TABLE billing_run;
    DROP TABLE server_snapshot;
    DROP TABLE server_poll;
    `,
  );
}
