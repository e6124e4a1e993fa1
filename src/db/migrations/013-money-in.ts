import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// Money in (billing-rules §7, §8): payments, refunds, credit notes, a ledger, online payments, dunning.
// - ledger_entry: every movement of money or credit. The entries of one event (`event_id`) sum to zero,
//   checked at commit by a deferred constraint trigger; entries are never changed or deleted. Accounts, per
//   customer and currency: receivable (+ = the customer owes, per invoice), credit (− = we owe the
//   customer), cash (+ = money received), sales (− = revenue). An invoice's amount due and a customer's
//   balance and credit are sums of it, never stored counters.
// - invoice: `partially_paid` joins the states; paid/partially_paid follow the amount due (a refund can
//   reopen it). The old paid_* columns stay for invoices marked paid before this migration.
// - customer: who set the status (staff or dunning) and why, and a dunning exemption.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE payment (
      id text PRIMARY KEY CHECK (id ~ '^pay_[0-9a-f]+$'),
      customer_id bigint NOT NULL REFERENCES customer (id),
      currency_code text NOT NULL,
      amount bigint NOT NULL CHECK (amount > 0),
      method text NOT NULL CHECK (method ~ '^[a-z][a-z0-9_]{0,39}$'),
      reference text NOT NULL CHECK (length(reference) BETWEEN 1 AND 200),
      invoice_id text REFERENCES invoice (id),
      paid_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      -- A repeated reference is the same payment (§7): the second call finds this row.
      CONSTRAINT payment_method_reference UNIQUE (method, reference)
    );
    CREATE INDEX payment_customer ON payment (customer_id, paid_at, id);

    CREATE TABLE refund (
      id text PRIMARY KEY CHECK (id ~ '^ref_[0-9a-f]+$'),
      payment_id text NOT NULL REFERENCES payment (id),
      amount bigint NOT NULL CHECK (amount > 0),
      reason text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
      -- A provider's refund (Stripe) is pending until the provider confirms it; a manual one succeeds at once.
      status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
      provider_refund_id text UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX refund_payment ON refund (payment_id);

    CREATE TABLE credit_note (
      id text PRIMARY KEY CHECK (id ~ '^cn_[0-9a-f]+$'),
      invoice_id text NOT NULL REFERENCES invoice (id),
      customer_id bigint NOT NULL REFERENCES customer (id),
      number text NOT NULL UNIQUE,
      number_sequence text NOT NULL,
      number_value bigint NOT NULL CHECK (number_value > 0),
      currency_code text NOT NULL,
      currency jsonb NOT NULL,
      net bigint NOT NULL CHECK (net > 0),
      tax_total bigint NOT NULL CHECK (tax_total >= 0),
      total bigint NOT NULL,
      taxes jsonb NOT NULL DEFAULT '[]',
      lines jsonb NOT NULL DEFAULT '[]',
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
      -- What the part of the total the invoice had already been paid became: credit, or a refund.
      settlement text NOT NULL CHECK (settlement IN ('credit', 'refund')),
      issue_date text NOT NULL CHECK (issue_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (total = net + tax_total),
      CONSTRAINT credit_note_number_value_unique UNIQUE (number_sequence, number_value)
    );
    CREATE INDEX credit_note_invoice ON credit_note (invoice_id);
    CREATE INDEX credit_note_customer ON credit_note (customer_id, id);

    CREATE TABLE ledger_entry (
      id bigserial PRIMARY KEY,
      event_id text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
      event_kind text NOT NULL CHECK (event_kind IN
        ('invoice_finalized', 'payment', 'refund', 'credit_note', 'credit_applied', 'opening')),
      customer_id bigint NOT NULL REFERENCES customer (id),
      currency_code text NOT NULL,
      account text NOT NULL CHECK (account IN ('receivable', 'credit', 'cash', 'sales')),
      invoice_id text REFERENCES invoice (id),
      payment_id text REFERENCES payment (id),
      refund_id text REFERENCES refund (id),
      credit_note_id text REFERENCES credit_note (id),
      amount bigint NOT NULL CHECK (amount <> 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      -- Receivables are per invoice: an amount due belongs to one.
      CHECK (account <> 'receivable' OR invoice_id IS NOT NULL)
    );
    CREATE INDEX ledger_entry_event ON ledger_entry (event_id);
    CREATE INDEX ledger_entry_customer ON ledger_entry (customer_id, id);
    CREATE INDEX ledger_entry_invoice ON ledger_entry (invoice_id) WHERE invoice_id IS NOT NULL;
    CREATE INDEX ledger_entry_payment ON ledger_entry (payment_id) WHERE payment_id IS NOT NULL;

    CREATE FUNCTION ledger_event_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (SELECT sum(amount) FROM ledger_entry WHERE event_id = NEW.event_id) <> 0 THEN
        RAISE EXCEPTION 'ledger event % does not sum to zero', NEW.event_id USING ERRCODE = 'check_violation'
      ; END IF
      ; IF (SELECT count(DISTINCT (customer_id, currency_code)) FROM ledger_entry WHERE event_id = NEW.event_id) > 1 THEN
        RAISE EXCEPTION 'ledger event % spans customers or currencies', NEW.event_id USING ERRCODE = 'check_violation'
      ; END IF
      ; RETURN NULL
    ; END $$;
    CREATE CONSTRAINT TRIGGER ledger_event_balanced AFTER INSERT ON ledger_entry
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_event_balanced();

    CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger entries are never changed or deleted: post a correcting event' USING ERRCODE = 'check_violation'
    ; END $$;
    CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger_entry
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

    -- Invoice states of §7; the old rule "paid needs paid_date" held for mark-paid only.
    DO $$ DECLARE c record; BEGIN
      FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'invoice'::regclass AND contype = 'c'
        AND (pg_get_constraintdef(oid) LIKE '%paid_date%' OR pg_get_constraintdef(oid) LIKE '%status%')
      LOOP EXECUTE format('ALTER TABLE invoice DROP CONSTRAINT %I', c.conname); END LOOP
    ; END $$;
    ALTER TABLE invoice
      ADD CONSTRAINT invoice_status_check
        CHECK (status IN ('draft', 'finalized', 'partially_paid', 'paid', 'void')),
      ADD CONSTRAINT invoice_draft_unnumbered CHECK (status <> 'draft' OR number IS NULL),
      ADD CONSTRAINT invoice_issued_numbered CHECK (status IN ('draft', 'void')
        OR (number IS NOT NULL AND issue_date IS NOT NULL AND due_date IS NOT NULL)),
      ADD CONSTRAINT invoice_void_dated CHECK (status <> 'void' OR voided_at IS NOT NULL);

    CREATE OR REPLACE FUNCTION invoice_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN RAISE EXCEPTION 'invoice % is % and cannot be deleted', OLD.id, OLD.status USING ERRCODE = 'check_violation'; END IF
        ; RETURN OLD
      ; END IF
      ; IF OLD.status <> NEW.status AND (OLD.status, NEW.status) NOT IN (
          ('draft', 'finalized'), ('draft', 'void'),
          ('finalized', 'partially_paid'), ('finalized', 'paid'), ('finalized', 'void'),
          ('partially_paid', 'paid'), ('partially_paid', 'finalized'),
          ('paid', 'partially_paid'), ('paid', 'finalized')) THEN
        RAISE EXCEPTION 'invoice % cannot go from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'check_violation'
      ; END IF
      ; IF OLD.status <> 'draft' AND (to_jsonb(OLD) - ARRAY['status', 'paid_at', 'paid_date', 'paid_amount', 'paid_reference', 'voided_at', 'void_reason', 'updated_at']) IS DISTINCT FROM (to_jsonb(NEW) - ARRAY['status', 'paid_at', 'paid_date', 'paid_amount', 'paid_reference', 'voided_at', 'void_reason', 'updated_at']) THEN
        RAISE EXCEPTION 'invoice % is % and its content cannot change', OLD.id, OLD.status USING ERRCODE = 'check_violation'
      ; END IF
      ; RETURN NEW
    ; END $$;

    -- A due date moved for one invoice (§8): the invoice itself never changes.
    CREATE TABLE invoice_due_extension (
      invoice_id text PRIMARY KEY REFERENCES invoice (id),
      due_date text NOT NULL CHECK (due_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
      created_at timestamptz NOT NULL DEFAULT now()
    );

    ALTER TABLE customer
      ADD COLUMN status_source text CHECK (status_source IN ('staff', 'dunning')),
      ADD COLUMN status_reason text CHECK (length(status_reason) <= 1000),
      ADD COLUMN dunning_exempt boolean NOT NULL DEFAULT false;

    -- One overdue episode per customer at a time; each ladder step once per episode (§8).
    CREATE TABLE dunning_episode (
      id bigserial PRIMARY KEY,
      customer_id bigint NOT NULL REFERENCES customer (id),
      started_at timestamptz NOT NULL,
      ended_at timestamptz,
      -- What the customer's status was before dunning changed it, so that paying restores exactly that.
      status_before text CHECK (status_before IN ('active', 'locked', 'suspended')),
      source_before text CHECK (source_before IN ('staff', 'dunning'))
    );
    CREATE UNIQUE INDEX dunning_episode_open ON dunning_episode (customer_id) WHERE ended_at IS NULL;

    CREATE TABLE dunning_step (
      episode_id bigint NOT NULL REFERENCES dunning_episode (id),
      step text NOT NULL CHECK (length(step) BETWEEN 1 AND 100),
      done_at timestamptz NOT NULL,
      details jsonb NOT NULL DEFAULT '{}',
      PRIMARY KEY (episode_id, step)
    );

    -- Online payments: what a provider told us, stored before it is processed, once per event id.
    CREATE TABLE provider_event (
      provider text NOT NULL,
      event_id text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
      type text NOT NULL,
      payload jsonb NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      processed_at timestamptz,
      error text,
      PRIMARY KEY (provider, event_id)
    );

    CREATE TABLE checkout_session (
      id text PRIMARY KEY,
      provider text NOT NULL,
      invoice_id text NOT NULL REFERENCES invoice (id),
      customer_id bigint NOT NULL REFERENCES customer (id),
      amount bigint NOT NULL CHECK (amount > 0),
      currency_code text NOT NULL,
      url text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX checkout_session_invoice ON checkout_session (invoice_id);

    -- What was issued and paid before the ledger existed: opening entries, so every projection starts true.
    INSERT INTO payment (id, customer_id, currency_code, amount, method, reference, invoice_id, paid_at)
      SELECT 'pay_' || substr(md5(id), 1, 24), customer_id, currency_code, paid_amount, 'manual',
             coalesce(nullif(paid_reference, ''), 'opening ' || id), id, paid_at
      FROM invoice WHERE status = 'paid' AND paid_amount > 0;
    INSERT INTO ledger_entry (event_id, event_kind, customer_id, currency_code, account, invoice_id, amount)
      SELECT 'open:' || id, 'opening', customer_id, currency_code, a.account, id, a.amount
      FROM invoice, LATERAL (VALUES ('receivable', total), ('sales', -total)) AS a (account, amount)
      WHERE status IN ('finalized', 'paid') AND total > 0;
    INSERT INTO ledger_entry (event_id, event_kind, customer_id, currency_code, account, invoice_id, payment_id, amount)
      SELECT 'open:' || p.id, 'opening', p.customer_id, p.currency_code, a.account, p.invoice_id, p.id, a.amount
      FROM payment p, LATERAL (VALUES ('cash', p.amount), ('receivable', -p.amount)) AS a (account, amount);
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TABLE checkout_session;
    DROP TABLE provider_event;
    DROP TABLE dunning_step;
    DROP TABLE dunning_episode;
    ALTER TABLE customer DROP COLUMN dunning_exempt, DROP COLUMN status_reason, DROP COLUMN status_source;
    DROP TABLE invoice_due_extension;
    DROP TABLE ledger_entry;
    DROP FUNCTION ledger_append_only();
    DROP FUNCTION ledger_event_balanced();
    DROP TABLE credit_note;
    DROP TABLE refund;
    DROP TABLE payment;
    `,
  );
}
