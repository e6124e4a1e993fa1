import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// An admin API key gets a role, as a staff user has one: `admin` (what every key could do before, so every
// existing key becomes one and a key made without naming a role is one), `billing` (money, and reading) or
// `support` (reading only). A key cannot be an owner: no owner-only act is reachable with a key.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `ALTER TABLE api_key ADD COLUMN role text NOT NULL DEFAULT 'admin'
       CHECK (role IN ('admin', 'billing', 'support'));`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `ALTER TABLE api_key DROP COLUMN IF EXISTS role;`);
}
