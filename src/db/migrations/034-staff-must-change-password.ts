import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// A staff user whose password was generated (staff create without one, an administrator's reset) must
// choose their own before the console opens anything else: someone else has seen the generated one
// (services/staff/change-own-password.ts, web/session-gate.ts). Staff existing before keep false: nobody
// can tell now whether their password was generated, and locking every account at an upgrade would surprise.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `ALTER TABLE staff_user ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `ALTER TABLE staff_user DROP COLUMN IF EXISTS must_change_password;`);
}
