import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// A plan re-priced in mid-month bills its hours at the prices in force when each hour began (billing-rules
// §2.2). Usage source (c) learns the instants from here: every price tokenbill pushed to a SolusIO plan (at
// SolusIO's time of the PUT's answer) and every change a read of the plans saw (at SolusIO's time of that
// read: a change made in SolusIO behind tokenbill's back counts from the first read after it). A row holds
// from effective_at until the plan's next row.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE plan_price_change (
      plan_id bigint NOT NULL,
      effective_at timestamptz NOT NULL,
      plan_name text NOT NULL,
      tokens_per_hour bigint NOT NULL CHECK (tokens_per_hour >= 0),
      tokens_per_month bigint NOT NULL CHECK (tokens_per_month >= 0),
      ip_tokens_per_hour bigint NOT NULL CHECK (ip_tokens_per_hour >= 0),
      ip_tokens_per_month bigint NOT NULL CHECK (ip_tokens_per_month >= 0),
      backup_percent numeric(9, 6) NOT NULL CHECK (backup_percent BETWEEN 0 AND 100),
      seen text NOT NULL CHECK (seen IN ('pushed', 'read')),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (plan_id, effective_at)
    );
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP TABLE plan_price_change;");
}
