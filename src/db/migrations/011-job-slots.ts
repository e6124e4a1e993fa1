import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// A job may name a slot: a key that at most one job ever holds. A schedule firing twice, or on two
// instances, writes its slot (`billing:2026-10`, `poll:2026-11-29T12:05`) with ON CONFLICT DO NOTHING, so
// the work is claimed once; an invoice event's fan-out names its e-mail and webhooks the same way, so a
// repeated fan-out writes nothing new (src/jobs/). Most jobs have none: NULLs never conflict.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE job ADD COLUMN slot text CONSTRAINT job_slot_unique UNIQUE
      CHECK (slot IS NULL OR length(slot) BETWEEN 1 AND 200);
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `ALTER TABLE job DROP COLUMN slot;`);
}
