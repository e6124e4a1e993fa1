import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";
import { INVOICE_MUTABLE_COLUMNS as MUTABLE_017 } from "./017-payment-statement.ts";

// Reissuing a voided usage invoice (docs/billing-cycle.md, "Voiding and reissuing"). Until now a void
// invoice kept its customer's (customer, period) slot for good, so a usage invoice voided for a wrong tax
// rule or address left its month unbillable. Staff may now release a void invoice's slot:
// - `released_at` says when; only a void invoice may carry it, and once set it never changes (the fourth
//   guard below), so a released slot cannot be taken back while a new invoice may already hold it;
// - the unique (customer_id, period) becomes a unique index over the invoices not released, under the
//   constraint's old name: at most one invoice of a customer's period is in force, every re-run or
//   concurrent run still converges on it (drafting's ON CONFLICT names this index's columns and predicate),
//   and a released void invoice keeps its number and stays on record;
// - the invoice list's order (migration 021) gains the id as its last key: a customer's period may now
//   hold two invoices, and pages by offset need an order without ties (a few seconds at a million invoices);
// - the content guard of migration 017 is rebuilt so that `released_at` is, like the void fields, a column
//   that may change after issue.

/** Invoice columns that may change after the invoice is issued, from this migration on. */
export const INVOICE_MUTABLE_COLUMNS = [...MUTABLE_017, "released_at"] as const;

const quoted = (columns: readonly string[]) => columns.map((c) => `'${c}'`).join(", ");

/** The content guard of migration 017, over the columns not in `mutable`. */
function contentGuard(mutable: readonly string[]): string {
  return `
    DROP TRIGGER invoice_guard_2_content ON invoice;
    CREATE OR REPLACE FUNCTION invoice_freeze_content() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (to_jsonb(OLD) - ARRAY[${quoted(mutable)}]) IS DISTINCT FROM (to_jsonb(NEW) - ARRAY[${quoted(mutable)}]) THEN
        RAISE EXCEPTION 'invoice % is % and its content cannot change', OLD.id, OLD.status USING ERRCODE = 'check_violation'
      ; END IF
      ; RETURN NEW
    ; END $$;
    DO $$ DECLARE content_columns text; BEGIN
      SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO content_columns
        FROM pg_attribute a
        WHERE a.attrelid = 'invoice'::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attname NOT IN (${quoted(mutable)})
    ; EXECUTE format('CREATE TRIGGER invoice_guard_2_content BEFORE UPDATE OF %s ON invoice FOR EACH ROW '
        'WHEN (OLD.status <> ''draft'') EXECUTE FUNCTION invoice_freeze_content()', content_columns)
    ; END $$;`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE invoice ADD COLUMN released_at timestamptz;
    ALTER TABLE invoice ADD CONSTRAINT invoice_released_only_void CHECK (released_at IS NULL OR status = 'void');
    ALTER TABLE invoice DROP CONSTRAINT invoice_customer_period_unique;
    CREATE UNIQUE INDEX invoice_customer_period_unique ON invoice (customer_id, period) WHERE released_at IS NULL;
    DROP INDEX IF EXISTS invoice_list_order;
    CREATE INDEX invoice_list_order ON invoice (period DESC, customer_id, id);
    ${contentGuard(INVOICE_MUTABLE_COLUMNS)}
    CREATE FUNCTION invoice_refuse_unrelease() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'invoice % was released for reissue and stays released', OLD.id USING ERRCODE = 'check_violation'
    ; END $$;
    CREATE TRIGGER invoice_guard_4_release BEFORE UPDATE OF released_at ON invoice FOR EACH ROW
      WHEN (OLD.released_at IS NOT NULL AND NEW.released_at IS DISTINCT FROM OLD.released_at)
      EXECUTE FUNCTION invoice_refuse_unrelease();
    `,
  );
}

// Refused (by the unique constraint) once a released period has been invoiced again: undoing it would
// leave two invoices in one slot.
export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TRIGGER invoice_guard_4_release ON invoice;
    DROP FUNCTION invoice_refuse_unrelease();
    DROP INDEX invoice_customer_period_unique;
    DROP INDEX IF EXISTS invoice_list_order;
    CREATE INDEX invoice_list_order ON invoice (period DESC, customer_id);
    ALTER TABLE invoice ADD CONSTRAINT invoice_customer_period_unique UNIQUE (customer_id, period);
    ALTER TABLE invoice DROP CONSTRAINT invoice_released_only_void;
    ALTER TABLE invoice DROP COLUMN released_at;
    ${contentGuard(MUTABLE_017)}
    `,
  );
}
