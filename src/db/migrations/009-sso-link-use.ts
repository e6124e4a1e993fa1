import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// A signed SSO link logs in once: its nonce is recorded when it is redeemed, and the
// primary key refuses a second redemption, also when two arrive at the same moment on two instances.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE sso_link_use (
      nonce text PRIMARY KEY CHECK (length(nonce) BETWEEN 16 AND 64),
      customer_id bigint NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX sso_link_use_expires ON sso_link_use (expires_at);
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP TABLE sso_link_use;");
}
