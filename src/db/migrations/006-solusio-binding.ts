import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// The SolusIO this database belongs to. Written by the first instance that talks to a
// SolusIO; from then on billing, sync and the scheduler refuse any other one, so a production database
// started without SOLUSIO_URL can never bill a month against an empty sandbox and call it done.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE solusio_binding (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      kind text NOT NULL CHECK (kind IN ('solusio', 'sandbox')),
      api_url text NOT NULL CHECK (length(api_url) <= 2000),
      identity text NOT NULL CHECK (length(identity) <= 500),
      bound_at timestamptz NOT NULL DEFAULT now()
    );
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP TABLE solusio_binding;");
}
