import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// A provider's refund whose metadata names one of tokenbill's refund rows (a credit note's card refund
// reservation) but could not be recorded as it (another amount, made by hand in the Dashboard; or made after
// the reservation was released) is recorded as a refund of the payment of its own. It keeps the row it names,
// so that the credit note whose reservation it was can say the money went to the card (credit-note-settlements.ts):
// until 2026-12-07 nothing tied the two, and the note read "could not be refunded to your card" for the whole
// reservation though the card had part or all of it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `ALTER TABLE refund ADD COLUMN names_refund_id text REFERENCES refund (id);
     CREATE INDEX refund_names_refund ON refund (names_refund_id) WHERE names_refund_id IS NOT NULL;`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `DROP INDEX IF EXISTS refund_names_refund;
     ALTER TABLE refund DROP COLUMN IF EXISTS names_refund_id;`,
  );
}
