import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// Who created an admin API key, as the audit log names actors (`staff:stf_…`, `apikey:key_…`, `cli`, …), so a
// staff user who is disabled or loses the admin role loses the keys they made (services/api-keys). Existing
// keys take it from their `api_key.create` audit row, written in the key's own transaction since keys exist,
// so the copy is exact; a key without one stays null (unknown).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `ALTER TABLE api_key ADD COLUMN created_by text;
     UPDATE api_key SET created_by = (
       SELECT a.actor FROM audit_log a
       WHERE a.action = 'api_key.create' AND a.entity = 'api_key' AND a.entity_id = api_key.id
       ORDER BY a.id LIMIT 1);
     CREATE INDEX api_key_created_by ON api_key (created_by) WHERE created_by IS NOT NULL;`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `DROP INDEX IF EXISTS api_key_created_by;
     ALTER TABLE api_key DROP COLUMN IF EXISTS created_by;`,
  );
}
