import { createHash, randomBytes } from "node:crypto";
import type { ExpressionBuilder } from "kysely";
import type { Database, StaffRole } from "../../db/schema.ts";
import type { Kysely } from "kysely";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";

// Server-side sessions of the console (staff) and the portal (customers), in the database so that every
// instance sees a logout at once. The browser holds a random 256-bit id; the table holds its SHA-256
// only, so a leaked table or backup opens no session. A session ends when it is revoked (logout, logout
// everywhere, a disabled user, a new password), after WEB_SESSION_IDLE_MINUTES without a request, or
// WEB_SESSION_MAX_HOURS after login, whichever comes first. Login always starts a new session (rotation):
// an id planted in a browser before login is worth nothing after it.

export type SessionSubject =
  | { kind: "staff"; staffUserId: string }
  | { kind: "customer"; customerId: bigint };

export interface WebSession {
  idHash: string;
  subject: SessionSubject;
  /** Password checked, TOTP code still awaited: the session opens no page but the code form. */
  pendingTotp: boolean;
  /**
   * A staff user whose password was generated (migration 034): the console opens only the change-password
   * page, logout and its assets (session-gate.ts). Always false for a customer.
   */
  mustChangePassword: boolean;
  /**
   * A staff session's role as the request began, read with the session (null for a customer's, and in the one
   * startSession hands back, which no page reads): the error page words an outside system's failure by it
   * (upstream-page-words.ts), and has it even when the database has gone away since.
   */
  staffRole: StaffRole | null;
  expiresAt: Date;
}

type SessionCtx = Pick<ServiceContext, "db" | "config" | "now" | "readOnly">;

export function sessionIdHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Starts a session and returns the id for the cookie (shown to nobody else, stored only as a hash). Given the
 * `passwordHash` a login checked, only while it is still the account's: a new password ends every session of
 * the account, so a login that read the old hash just before must not start one just after (a password login
 * with the old password outlived a reset or change until 2026-12-07). Given `replacing` (the pending
 * two-factor session's token), only while that session is still live, which it then ends: whatever ended it
 * (a new password, "log out everywhere", a disabled user, the second factor turned off) ends this login too
 * (until 2026-12-07 the code step's session outlived a reset made after its password step). The account's
 * row is held (FOR SHARE) until the session is written: a change waits for it, and then ends it with the
 * others, or went first, and the login is UNAUTHORIZED.
 */
export async function startSession(
  ctx: SessionCtx,
  subject: SessionSubject,
  options: { pendingTotp?: boolean; passwordHash?: string; replacing?: string } = {},
): Promise<{ token: string; session: WebSession }> {
  const { passwordHash, replacing } = options;
  const bound = passwordHash !== undefined || replacing !== undefined;
  if (bound && !ctx.db.isTransaction)
    return ctx.db.transaction().execute((trx) => startSession({ ...ctx, db: trx }, subject, options));
  const held = bound ? await heldPasswordHash(ctx.db, subject) : undefined;
  if (passwordHash !== undefined && held !== passwordHash)
    throw new ServiceError("UNAUTHORIZED", "wrong e-mail or password");
  if (replacing !== undefined && !(await endLiveSession(ctx, replacing)))
    throw new ServiceError("UNAUTHORIZED", "this login was ended; log in again");
  const token = randomBytes(32).toString("base64url");
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + ctx.config.WEB_SESSION_MAX_HOURS * 3_600_000);
  const idHash = sessionIdHash(token);
  await ctx.db
    .insertInto("web_session")
    .values({
      id_hash: idHash,
      kind: subject.kind,
      staff_user_id: subject.kind === "staff" ? subject.staffUserId : null,
      customer_id: subject.kind === "customer" ? subject.customerId : null,
      pending_totp: options.pendingTotp ?? false,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
    })
    .execute();
  // The session's user's flag is read by readSession on each request; a new session is only handed back.
  return {
    token,
    session: {
      idHash,
      subject,
      pendingTotp: options.pendingTotp ?? false,
      mustChangePassword: false,
      staffRole: null,
      expiresAt,
    },
  };
}

/** The account's password hash now, its row held (FOR SHARE) until the caller's transaction ends. */
async function heldPasswordHash(db: Kysely<Database>, subject: SessionSubject): Promise<string | null> {
  const row =
    subject.kind === "staff"
      ? await db
          .selectFrom("staff_user")
          .select("password_hash")
          .where("id", "=", subject.staffUserId)
          .forShare()
          .executeTakeFirst()
      : await db
          .selectFrom("portal_account")
          .select("password_hash")
          .where("customer_id", "=", subject.customerId)
          .forShare()
          .executeTakeFirst();
  return row?.password_hash ?? null;
}

/** Ends the session a token names if it is still live (not ended, not past its end): whether it was. */
async function endLiveSession(ctx: SessionCtx, token: string): Promise<boolean> {
  const now = ctx.now();
  const ended = await ctx.db
    .updateTable("web_session")
    .set({ revoked_at: now })
    .where("id_hash", "=", sessionIdHash(token))
    .where("revoked_at", "is", null)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return ended.numUpdatedRows > 0n;
}

/**
 * The live session a cookie names, of the kind asked for, its idle clock restarted; undefined when there is
 * none (unknown, revoked, idle too long, past its absolute end, or a staff user since disabled). On an instance
 * older than its database (`ctx.readOnly`) the clock is only read: a page read there writes nothing, and the
 * session stays live by its last request to an upgraded instance.
 */
export async function readSession(
  ctx: SessionCtx,
  token: string,
  kind: SessionSubject["kind"],
): Promise<WebSession | undefined> {
  if (token.length < 20 || token.length > 100) return undefined;
  const now = ctx.now();
  const idleSince = new Date(now.getTime() - ctx.config.WEB_SESSION_IDLE_MINUTES * 60_000);
  const live = (eb: ExpressionBuilder<Database, "web_session">) =>
    eb.and([
      eb("id_hash", "=", sessionIdHash(token)),
      eb("kind", "=", kind),
      eb("revoked_at", "is", null),
      eb("expires_at", ">", now),
      eb("last_seen_at", ">", idleSince),
      eb.or([
        eb("staff_user_id", "is", null),
        eb.exists(
          eb
            .selectFrom("staff_user")
            .select("staff_user.id")
            .whereRef("staff_user.id", "=", "web_session.staff_user_id")
            .where("staff_user.disabled_at", "is", null),
        ),
      ]),
    ]);
  const columns = (eb: ExpressionBuilder<Database, "web_session">) =>
    [
      "id_hash",
      "kind",
      "staff_user_id",
      "customer_id",
      "pending_totp",
      "expires_at",
      // In the same statement, so a console request still costs one round trip to the database.
      eb
        .selectFrom("staff_user")
        .select("staff_user.must_change_password")
        .whereRef("staff_user.id", "=", "web_session.staff_user_id")
        .as("must_change_password"),
      eb
        .selectFrom("staff_user")
        .select("staff_user.role")
        .whereRef("staff_user.id", "=", "web_session.staff_user_id")
        .as("staff_role"),
    ] as const;
  const row = ctx.readOnly
    ? await ctx.db.selectFrom("web_session").where(live).select(columns).executeTakeFirst()
    : await ctx.db
        .updateTable("web_session")
        .set({ last_seen_at: now })
        .where(live)
        .returning(columns)
        .executeTakeFirst();
  if (!row) return undefined;
  const subject: SessionSubject =
    row.kind === "staff"
      ? { kind: "staff", staffUserId: row.staff_user_id! }
      : { kind: "customer", customerId: row.customer_id! };
  return {
    idHash: row.id_hash,
    subject,
    pendingTotp: row.pending_totp,
    mustChangePassword: row.must_change_password === true,
    staffRole: row.staff_role ?? null,
    expiresAt: row.expires_at,
  };
}

/** Ends one session (logout); ending an ended or unknown one changes nothing. */
export async function endSession(ctx: SessionCtx, token: string): Promise<void> {
  await ctx.db
    .updateTable("web_session")
    .set({ revoked_at: ctx.now() })
    .where("id_hash", "=", sessionIdHash(token))
    .where("revoked_at", "is", null)
    .execute();
}

/** Ends every open session of a person ("log out everywhere", a new password, a disabled account). */
export async function endAllSessions(ctx: SessionCtx, subject: SessionSubject): Promise<number> {
  const query = ctx.db
    .updateTable("web_session")
    .set({ revoked_at: ctx.now() })
    .where("revoked_at", "is", null);
  const result = await (subject.kind === "staff"
    ? query.where("staff_user_id", "=", subject.staffUserId)
    : query.where("customer_id", "=", subject.customerId)
  ).executeTakeFirst();
  return Number(result.numUpdatedRows);
}
