import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// Idempotency-Key on the admin API's money-moving POSTs that have no natural key (credit notes, refunds;
// docs/payments.md). A row is written in the same transaction as the verb's work, so a crash leaves both or
// neither; the primary key makes a second request with the key wait for the first and then replay its answer.
// `status` and `response_body` are NULL while a refund through the payment provider is in flight (reserved
// and committed, the provider not yet answered): `refund_id` names that reservation, so releasing it
// (releaseRefundReservation) can settle the key too. Housekeeping deletes rows past their retention.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `CREATE TABLE idempotency_key (
       scope text NOT NULL CHECK (length(scope) BETWEEN 1 AND 300),
       key text NOT NULL CHECK (key ~ '^[ -~]{1,255}$'),
       request_hash text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
       status integer CHECK (status BETWEEN 200 AND 599),
       response_body text,
       refund_id text REFERENCES refund (id),
       created_at timestamptz NOT NULL,
       completed_at timestamptz,
       PRIMARY KEY (scope, key),
       CHECK ((status IS NULL) = (response_body IS NULL) AND (status IS NULL) = (completed_at IS NULL))
     );
     CREATE INDEX idempotency_key_created ON idempotency_key (created_at);
     CREATE INDEX idempotency_key_refund ON idempotency_key (refund_id) WHERE refund_id IS NOT NULL;`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, "DROP TABLE IF EXISTS idempotency_key;");
}
