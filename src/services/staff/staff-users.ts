import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Updateable } from "kysely";
import type { StaffRole, StaffUserTable } from "../../db/schema.ts";
import { recordAudit } from "../../kernel/audit.ts";
import { mapDbError } from "../../kernel/db-errors.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { revokeKeysOfStaff } from "../api-keys/revoke-staff-keys.ts";
import { generatePassword, hashPassword, PasswordSchema } from "./passwords.ts";
import { ADMIN_ROLES, READ_ROLES, requireStaffRole, STAFF_ROLES, type StaffIdentity } from "./staff-roles.ts";
import { endAllSessions } from "./web-sessions.ts";

// Staff accounts of the console. Owners and admins manage them; only an owner makes, changes or disables
// an owner, and the last enabled owner cannot be demoted or disabled (nobody could manage staff after).
// A user disabled, or given a role below admin, loses the API keys they created (revoke-staff-keys.ts).

/**
 * An e-mail address as logins look it up: trimmed (any Unicode white space, NBSP included) and lower-cased.
 * The login limiter keys its counts on exactly this (src/web/login-limiter.ts), so " Bert@…" is the same
 * account's count as "bert@…", as it is the same account.
 */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const StaffEmail = z
  .string()
  .overwrite(normaliseEmail)
  .max(254)
  .pipe(z.email({ message: "must be an e-mail address" }));

export interface StaffUser extends StaffIdentity {
  totp_enabled: boolean;
  /** A generated password to be changed at the next login (migration 034). */
  must_change_password: boolean;
  disabled_at: string | null;
  created_at: string;
}

const StaffCreate = z
  .object({
    email: StaffEmail,
    name: z.string().trim().max(200).default(""),
    role: z.enum(STAFF_ROLES),
    password: PasswordSchema.optional(),
  })
  .strict();

export const StaffId = z.object({
  id: z.string().regex(/^stf_[0-9a-f]{1,64}$/, "must be a staff id (stf_…)"),
});

/** What a verb that may find nothing to do returns: the user, and whether this call changed anything. */
export type StaffChange = StaffUser & { changed: boolean };

/** The ids of the API keys a change of the user revoked with it (keys they created; none for most changes). */
export type KeysRevoked = { api_keys_revoked: string[] };

export function present(row: {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  totp_enabled_at: Date | null;
  must_change_password: boolean;
  disabled_at: Date | null;
  created_at: Date;
}): StaffUser {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    totp_enabled: row.totp_enabled_at !== null,
    must_change_password: row.must_change_password,
    disabled_at: row.disabled_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
  };
}

export const COLUMNS = [
  "id",
  "email",
  "name",
  "role",
  "totp_enabled_at",
  "must_change_password",
  "disabled_at",
  "created_at",
] as const;

/** Owners alone touch owners: an admin may not make one, nor change, disable or repair one. */
export function assertMayManage(actor: StaffIdentity | undefined, role: StaffRole): void {
  if (actor && actor.role !== "owner" && role === "owner")
    throw new ServiceError("FORBIDDEN", "only an owner may manage owners");
}

/**
 * Creates a staff user. Without a password, a random one is made and returned once (`password`), for the
 * person to log in with; only its argon2id hash is kept, and the user must change it at their first login
 * (`must_change_password`, change-own-password.ts).
 */
export const createStaffUser = defineVerb(
  StaffCreate,
  async ({ ctx, input }): Promise<StaffUser & { password?: string }> => {
    const actor = await requireStaffRole(ctx, ...ADMIN_ROLES);
    assertMayManage(actor, input.role);
    const password = input.password ?? generatePassword();
    const passwordHash = await hashPassword(password);
    return withTransaction(ctx, async (tx) => {
      const row = await tx.db
        .insertInto("staff_user")
        .values({
          id: `stf_${randomBytes(8).toString("hex")}`,
          email: input.email,
          name: input.name,
          role: input.role,
          password_hash: passwordHash,
          // Generated: someone else has seen it, so the console asks the user for one of their own first.
          must_change_password: input.password === undefined,
          created_at: ctx.now(),
          updated_at: ctx.now(),
        })
        .returning(COLUMNS)
        .executeTakeFirstOrThrow()
        .catch((e) => {
          // Said as a person reads it: the message named the index, staff_user_email_unique.
          if ((e as { constraint?: unknown })?.constraint === "staff_user_email_unique")
            throw new ServiceError(
              "CONFLICT",
              `a staff user with this e-mail already exists: ${input.email}`,
            );
          return mapDbError(e, `staff user ${input.email}`);
        });
      const user = present(row);
      await recordAudit(tx.db, tx, {
        action: "create",
        entity: "staff_user",
        entityId: user.id,
        before: null,
        after: user,
      });
      return input.password === undefined ? { ...user, password } : user;
    });
  },
);

export const listStaffUsers = defineVerb(NoInput, async ({ ctx }): Promise<StaffUser[]> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  const rows = await ctx.db.selectFrom("staff_user").select(COLUMNS).orderBy("email").execute();
  return rows.map(present);
});

/** One staff user, for the pages that ask before changing them; owners and admins, as listStaffUsers. */
export const getStaffUser = defineVerb(StaffId.strict(), async ({ ctx, input }): Promise<StaffUser> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  const row = await ctx.db
    .selectFrom("staff_user")
    .select(COLUMNS)
    .where("id", "=", input.id)
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`staff user ${input.id}`);
  return present(row);
});

/** The staff user the actor is (the console's header, the account page). */
export const currentStaffUser = defineVerb(NoInput, async ({ ctx }): Promise<StaffUser> => {
  const me = await requireStaffRole(ctx, ...READ_ROLES);
  if (!me) throw new ServiceError("FORBIDDEN", "only a staff user has an account page");
  const row = await ctx.db
    .selectFrom("staff_user")
    .select(COLUMNS)
    .where("id", "=", me.id)
    .executeTakeFirstOrThrow();
  return present(row);
});

/**
 * Locks every enabled owner's row, in id order, and returns their ids: the first step of a verb that may
 * leave an owner less. Read without a lock, two owners demoting or disabling each other at once each saw
 * the other still an owner and both went through, leaving none (write skew). Locked first, and in one
 * order so that two such verbs cannot deadlock, the second waits for the first and then sees its change.
 */
async function lockEnabledOwners(tx: Parameters<typeof withTransaction>[0]): Promise<string[]> {
  const owners = await tx.db
    .selectFrom("staff_user")
    .select("id")
    .where("role", "=", "owner")
    .where("disabled_at", "is", null)
    .orderBy("id")
    .forUpdate()
    .execute();
  return owners.map((o) => o.id);
}

/** Whether `id` is the only one of the enabled owners (locked by lockEnabledOwners). */
function onlyOwner(owners: readonly string[], id: string): boolean {
  return !owners.some((owner) => owner !== id);
}

/**
 * Changes a user's role (audited). Demoting the last enabled owner is refused. The API keys the user created
 * of a role above the new one are revoked (revoke-staff-keys.ts); giving the role again revokes any such key
 * still active (a user demoted before key creators were recorded keeps their keys until then).
 */
export const changeStaffRole = defineVerb(
  StaffId.extend({ role: z.enum(STAFF_ROLES) }).strict(),
  async ({ ctx, input }): Promise<StaffUser & KeysRevoked> => {
    const actor = await requireStaffRole(ctx, ...ADMIN_ROLES);
    return withTransaction(ctx, async (tx) => {
      const owners = await lockEnabledOwners(tx);
      const before = await lockStaff(tx, input.id);
      assertMayManage(actor, before.role);
      assertMayManage(actor, input.role);
      if (before.role === "owner" && input.role !== "owner" && onlyOwner(owners, input.id))
        throw new ServiceError("CONFLICT", "the last owner cannot be demoted; make another owner first");
      const after = await updateStaffUser(tx, before, { role: input.role });
      // Keys above the new role go; an owner made admin keeps every key (no key is above admin).
      const revoked = await revokeKeysOfStaff(tx, input.id, input.role);
      return { ...after, api_keys_revoked: revoked };
    });
  },
);

/**
 * Disables a user, ends every session of theirs at once and revokes the API keys they created (audited). A
 * user disabled already is left as it is (`changed: false`), so the caller can say so, but any key of theirs
 * still active is revoked all the same (a user disabled before key creators were recorded kept their keys).
 */
export const disableStaffUser = defineVerb(
  StaffId.strict(),
  async ({ ctx, input }): Promise<StaffChange & KeysRevoked> => {
    const actor = await requireStaffRole(ctx, ...ADMIN_ROLES);
    return withTransaction(ctx, async (tx) => {
      const owners = await lockEnabledOwners(tx);
      const before = await lockStaff(tx, input.id);
      assertMayManage(actor, before.role);
      if (before.disabled_at !== null)
        return {
          ...present(before),
          changed: false,
          api_keys_revoked: await revokeKeysOfStaff(tx, input.id, undefined),
        };
      if (before.role === "owner" && onlyOwner(owners, input.id))
        throw new ServiceError("CONFLICT", "the last owner cannot be disabled");
      const after = await updateStaffUser(tx, before, { disabled_at: ctx.now() });
      await endAllSessions(tx, { kind: "staff", staffUserId: input.id });
      return { ...after, changed: true, api_keys_revoked: await revokeKeysOfStaff(tx, input.id, undefined) };
    });
  },
);

/** The user's row, locked for the caller's transaction; NOT_FOUND when there is none. */
export async function lockStaff(tx: Parameters<typeof withTransaction>[0], id: string) {
  const row = await tx.db
    .selectFrom("staff_user")
    .select(COLUMNS)
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`staff user ${id}`);
  return row;
}

/**
 * Writes `changes` (a role; disabled or enabled again) and updated_at to the user lockStaff gave as `before`, and
 * audits the change with the user as presented before and after; the user after.
 */
export async function updateStaffUser(
  tx: Parameters<typeof withTransaction>[0],
  before: Awaited<ReturnType<typeof lockStaff>>,
  changes: Pick<Updateable<StaffUserTable>, "role" | "disabled_at">,
): Promise<StaffUser> {
  const row = await tx.db
    .updateTable("staff_user")
    .set({ ...changes, updated_at: tx.now() })
    .where("id", "=", before.id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  const after = present(row);
  await recordAudit(tx.db, tx, {
    action: "update",
    entity: "staff_user",
    entityId: before.id,
    before: present(before),
    after,
  });
  return after;
}

// For the settings page's paged list (list-staff-user-page.ts), which shows staff as this file presents them.
export { COLUMNS as STAFF_USER_COLUMNS, present as presentStaffUser };
