import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// TRUNCATE fires no row trigger, so migration 007's log never heard of it: `truncate discount` left every
// instance's GetTokenPricing index answering with the deleted rows until it restarted. A statement-level
// TRUNCATE trigger on each table the index reads now writes a row marked `everything`, on which a reader
// reloads the whole index (pricing-changes.ts); a cascade fires the trigger of every table it empties.
// The log itself gets one too: emptying it loses changes some reader has not read, so every reader reloads.
// Nothing is logged with `session_replication_role = replica` (pg_restore --disable-triggers, logical
// replication): docs/operations.md says what to do after such a restore.

const TABLES = ["customer", "discount", "currency", "tax_rule", "tax_rate", "pricing_change"] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE pricing_change ADD COLUMN everything boolean NOT NULL DEFAULT false;
    CREATE FUNCTION log_pricing_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO pricing_change (everything) VALUES (true); RETURN NULL; END $$;
    ${TABLES.map(
      (table) =>
        `CREATE TRIGGER ${table}_pricing_truncate AFTER TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION log_pricing_truncate();`,
    ).join("\n    ")}
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ${TABLES.map((table) => `DROP TRIGGER ${table}_pricing_truncate ON ${table};`).join("\n    ")}
    DROP FUNCTION log_pricing_truncate();
    ALTER TABLE pricing_change DROP COLUMN everything;
    `,
  );
}
