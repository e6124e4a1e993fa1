import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// A run records the BILLING_TIME_ZONE it computed its period's bounds in, and why those bounds are not that
// zone's calendar month when they are not (a recorded neighbour or an earlier run of the period fixed them:
// src/domain/period-tiling.ts). Runs before this migration have neither: their zone was not kept.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE billing_run ADD COLUMN time_zone text;
    ALTER TABLE billing_run ADD COLUMN bounds_warning text;
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE billing_run DROP COLUMN bounds_warning;
    ALTER TABLE billing_run DROP COLUMN time_zone;
    `,
  );
}
