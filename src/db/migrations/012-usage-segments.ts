import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// Billing what really happens in SolusIO (billing-rules §2.2): a server may change plan, gain or lose
// additional IPs and switch paid backups during a period.
// - server_segment: usage source (b) keeps every state a server was seen in (owner, plan and its prices,
//   IP count, backups), starting at the SolusIO time of the first sighting in that state. A segment ends
//   where the next one starts; the last one at server_snapshot.last_seen_at.
// - server_event: usage source (c), SolusIO's activity log as far as billing cares (creates, deletes,
//   resizes, IP and backup changes), unique by SolusIO's id so a re-read adds nothing.
// - invoice_line: one line per server and plan, plus backup lines; the plan id and backup percent are kept.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE server_snapshot
      ADD COLUMN backup_percent numeric(9, 6) NOT NULL DEFAULT 0 CHECK (backup_percent BETWEEN 0 AND 100),
      ADD COLUMN backups_enabled boolean NOT NULL DEFAULT false,
      ADD COLUMN segment_seq integer NOT NULL DEFAULT 0 CHECK (segment_seq >= 0);

    CREATE TABLE server_segment (
      server_id bigint NOT NULL REFERENCES server_snapshot (server_id) ON DELETE CASCADE,
      seq integer NOT NULL CHECK (seq >= 0),
      started_at timestamptz NOT NULL,
      solusio_user_id bigint,
      billing_user_id bigint,
      plan_id bigint,
      plan_name text NOT NULL,
      tokens_per_hour bigint NOT NULL CHECK (tokens_per_hour >= 0),
      tokens_per_month bigint NOT NULL CHECK (tokens_per_month >= 0),
      ip_tokens_per_hour bigint NOT NULL CHECK (ip_tokens_per_hour >= 0),
      ip_tokens_per_month bigint NOT NULL CHECK (ip_tokens_per_month >= 0),
      backup_percent numeric(9, 6) NOT NULL CHECK (backup_percent BETWEEN 0 AND 100),
      backups_enabled boolean NOT NULL,
      additional_ips integer NOT NULL CHECK (additional_ips >= 0),
      PRIMARY KEY (server_id, seq)
    );
    INSERT INTO server_segment
      SELECT server_id, 0, created_at, solusio_user_id, billing_user_id, plan_id, plan_name, tokens_per_hour,
             tokens_per_month, ip_tokens_per_hour, ip_tokens_per_month, 0, false, additional_ips
      FROM server_snapshot;

    CREATE TABLE server_event (
      id bigint PRIMARY KEY,
      event text NOT NULL CHECK (length(event) BETWEEN 1 AND 200),
      server_id bigint NOT NULL,
      at timestamptz NOT NULL,
      data jsonb NOT NULL DEFAULT '{}',
      recorded_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX server_event_server ON server_event (server_id, at, id);

    ALTER TABLE invoice_line
      DROP CONSTRAINT invoice_line_kind_check,
      ADD CONSTRAINT invoice_line_kind_check CHECK (kind IN ('server', 'additional_ips', 'backups')),
      DROP CONSTRAINT invoice_line_charge_kind_check,
      ADD CONSTRAINT invoice_line_charge_kind_check
        CHECK (charge_kind IN ('hourly', 'monthly_cap', 'monthly_fixed', 'free', 'backup_share')),
      ADD COLUMN plan_id bigint,
      ADD COLUMN backup_percent numeric(9, 6) CHECK (backup_percent BETWEEN 0 AND 100),
      ADD CONSTRAINT invoice_line_backup_percent CHECK ((kind = 'backups') = (backup_percent IS NOT NULL));
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DELETE FROM invoice_line WHERE kind = 'backups';
    ALTER TABLE invoice_line
      DROP CONSTRAINT invoice_line_backup_percent,
      DROP COLUMN backup_percent,
      DROP COLUMN plan_id,
      DROP CONSTRAINT invoice_line_charge_kind_check,
      ADD CONSTRAINT invoice_line_charge_kind_check
        CHECK (charge_kind IN ('hourly', 'monthly_cap', 'monthly_fixed', 'free')),
      DROP CONSTRAINT invoice_line_kind_check,
      ADD CONSTRAINT invoice_line_kind_check CHECK (kind IN ('server', 'additional_ips'));
    DROP TABLE server_event;
    DROP TABLE server_segment;
    ALTER TABLE server_snapshot DROP COLUMN segment_seq, DROP COLUMN backups_enabled, DROP COLUMN backup_percent;
    `,
  );
}
