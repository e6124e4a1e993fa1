import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// SolusIO integration: the call log, the job outbox, each customer's sync state, and the plan price list
// that setup pushes to SolusIO.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE solusio_call (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      method text NOT NULL,
      path text NOT NULL,
      status integer,
      duration_ms integer NOT NULL,
      attempt integer NOT NULL,
      request_body jsonb,
      error text
    );
    CREATE INDEX solusio_call_at ON solusio_call (at);

    -- The outbox: a job is written in the same transaction as the change that needs it. Jobs with the same
    -- ordering_key run one at a time, in id order.
    CREATE TABLE job (
      id bigserial PRIMARY KEY,
      kind text NOT NULL,
      ordering_key text,
      payload jsonb NOT NULL DEFAULT '{}',
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      run_after timestamptz NOT NULL DEFAULT now(),
      locked_until timestamptz,
      locked_by text,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX job_open ON job (id) WHERE status IN ('pending', 'running');
    CREATE INDEX job_open_by_key ON job (ordering_key, id) WHERE status IN ('pending', 'running');

    ALTER TABLE customer
      ADD COLUMN solusio_user_id bigint,
      ADD COLUMN limit_group text,
      ADD COLUMN sync_state text NOT NULL DEFAULT 'pending' CHECK (sync_state IN ('pending', 'in_sync', 'failed')),
      ADD COLUMN sync_error text,
      ADD COLUMN synced_at timestamptz;

    CREATE TABLE plan_price (
      id bigserial PRIMARY KEY,
      plan_name text NOT NULL UNIQUE CHECK (length(plan_name) BETWEEN 1 AND 200),
      tokens_per_hour bigint NOT NULL CHECK (tokens_per_hour >= 0),
      tokens_per_month bigint NOT NULL CHECK (tokens_per_month >= 0),
      ip_tokens_per_hour bigint NOT NULL DEFAULT 0 CHECK (ip_tokens_per_hour >= 0),
      ip_tokens_per_month bigint NOT NULL DEFAULT 0 CHECK (ip_tokens_per_month >= 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TABLE plan_price;
    ALTER TABLE customer DROP COLUMN solusio_user_id, DROP COLUMN limit_group, DROP COLUMN sync_state,
      DROP COLUMN sync_error, DROP COLUMN synced_at;
    DROP TABLE job;
    DROP TABLE solusio_call;
    `,
  );
}
