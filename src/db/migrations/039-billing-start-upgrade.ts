import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// A reason more for the billing start (src/billing/runs/billing-start.ts): a book upgraded from before
// migration 035 that had customers and no billing run starts at the last ended month, which the version it
// ran would have billed, rather than at the month in progress (which would skip that month, silently).
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE billing_start DROP CONSTRAINT billing_start_reason_check;
    ALTER TABLE billing_start ADD CONSTRAINT billing_start_reason_check
      CHECK (reason IN ('first_schedule', 'first_billing_run', 'configured', 'upgraded_with_customers'));
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DELETE FROM billing_start WHERE reason = 'upgraded_with_customers';
    ALTER TABLE billing_start DROP CONSTRAINT billing_start_reason_check;
    ALTER TABLE billing_start ADD CONSTRAINT billing_start_reason_check
      CHECK (reason IN ('first_schedule', 'first_billing_run', 'configured'));
    `,
  );
}
