import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// The people's side (issue 12): staff users of the console, customers' portal logins, the sessions of both
// and the portal's single-use e-mail tokens.
// - staff_user: one row per person; the e-mail is unique without regard to case. The password is an
//   argon2id PHC string. A TOTP secret is stored once enrolment starts; it protects logins only once
//   confirmed (totp_enabled_at). totp_last_step refuses a code seen before (replay within its 30 s).
// - portal_account: a customer's password (argon2id); a customer without one logs in by magic link.
// - web_session: server-side sessions. The cookie holds a random id; only its SHA-256 is stored, so the
//   table (or a backup) does not hand out live sessions. `pending_totp`: the password was right and the
//   second factor is still awaited; such a session opens no page. Idle and absolute expiry are checked on
//   every request; revoking sets revoked_at (logout, logout everywhere).
// - portal_token: magic-link and password-reset tokens, stored as SHA-256, single use (used_at), short-lived.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE staff_user (
      id text PRIMARY KEY CHECK (id ~ '^stf_[0-9a-f]+$'),
      email text NOT NULL CHECK (email LIKE '%_@_%' AND length(email) <= 254),
      name text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
      role text NOT NULL CHECK (role IN ('owner', 'admin', 'billing', 'support')),
      password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
      totp_secret text,
      totp_enabled_at timestamptz,
      totp_last_step bigint,
      disabled_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (totp_enabled_at IS NULL OR totp_secret IS NOT NULL)
    );
    CREATE UNIQUE INDEX staff_user_email_unique ON staff_user (lower(email));

    CREATE TABLE portal_account (
      customer_id bigint PRIMARY KEY REFERENCES customer (id) ON DELETE CASCADE,
      password_hash text CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE web_session (
      id_hash text PRIMARY KEY CHECK (id_hash ~ '^[0-9a-f]{64}$'),
      kind text NOT NULL CHECK (kind IN ('staff', 'customer')),
      staff_user_id text REFERENCES staff_user (id) ON DELETE CASCADE,
      customer_id bigint REFERENCES customer (id) ON DELETE CASCADE,
      pending_totp boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      CHECK ((kind = 'staff') = (staff_user_id IS NOT NULL)),
      CHECK ((kind = 'customer') = (customer_id IS NOT NULL)),
      CHECK (kind = 'staff' OR NOT pending_totp)
    );
    CREATE INDEX web_session_staff ON web_session (staff_user_id) WHERE staff_user_id IS NOT NULL;
    CREATE INDEX web_session_customer ON web_session (customer_id) WHERE customer_id IS NOT NULL;
    CREATE INDEX web_session_expires ON web_session (expires_at);

    CREATE TABLE portal_token (
      token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
      customer_id bigint NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
      purpose text NOT NULL CHECK (purpose IN ('magic_link', 'password_reset')),
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    );
    CREATE INDEX portal_token_customer ON portal_token (customer_id, purpose);
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    "DROP TABLE portal_token; DROP TABLE web_session; DROP TABLE portal_account; DROP TABLE staff_user;",
  );
}
