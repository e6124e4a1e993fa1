import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// A customer's sync can end in `conflict`: its e-mail belongs to a SolusIO user that billing may not adopt
// (an admin, or a user another billing customer owns). Issue 8; see src/services/sync/adoption.ts.
// customer_sync_state_check is the name PostgreSQL gave the inline CHECK of migration 003.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE customer DROP CONSTRAINT customer_sync_state_check;
    ALTER TABLE customer ADD CONSTRAINT customer_sync_state_check
      CHECK (sync_state IN ('pending', 'in_sync', 'failed', 'conflict'));
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    UPDATE customer SET sync_state = 'failed' WHERE sync_state = 'conflict';
    ALTER TABLE customer DROP CONSTRAINT customer_sync_state_check;
    ALTER TABLE customer ADD CONSTRAINT customer_sync_state_check
      CHECK (sync_state IN ('pending', 'in_sync', 'failed'));
    `,
  );
}
