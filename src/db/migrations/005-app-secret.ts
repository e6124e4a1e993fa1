import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// Secrets that every tokenbill instance on one database must share (the SSO link signing key), generated
// once by the first instance that needs them, so that nobody has to configure them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE app_secret (
      name text PRIMARY KEY,
      value text NOT NULL CHECK (length(value) >= 32),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP TABLE app_secret;");
}
