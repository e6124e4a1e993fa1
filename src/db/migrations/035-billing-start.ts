import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// The first period the billing schedule may bill (src/billing/runs/billing-start.ts): recorded once, by the
// first schedule that runs on the database, so that a new install does not bill the months before it (a
// provider moving from another system would bill them twice). One row at most, as solusio_binding.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE billing_start (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      period text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      reason text NOT NULL CHECK (reason IN ('first_schedule', 'first_billing_run', 'configured')),
      recorded_at timestamptz NOT NULL DEFAULT now()
    );
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP TABLE billing_start;");
}
