import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// "Log out everywhere" voids a person's known-device cookies (src/web/login-device.ts), not only their
// sessions: each account gets a counter that is part of what its device cookies are bound to, and the verb
// raises it. 0 keeps the cookies made before this migration valid (their stamp is the one they were made
// with), so an upgrade logs no device out of its standing. A link-only customer gets a portal_account row
// (no password) the first time it logs out everywhere.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `ALTER TABLE staff_user ADD COLUMN device_epoch integer NOT NULL DEFAULT 0 CHECK (device_epoch >= 0);
     ALTER TABLE portal_account ADD COLUMN device_epoch integer NOT NULL DEFAULT 0 CHECK (device_epoch >= 0);`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `ALTER TABLE staff_user DROP COLUMN IF EXISTS device_epoch;
     ALTER TABLE portal_account DROP COLUMN IF EXISTS device_epoch;`,
  );
}
