import { recordAudit } from "../../kernel/audit.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { generatePassword, hashPassword, PasswordSchema } from "./passwords.ts";
import { ADMIN_ROLES, requireStaffRole } from "./staff-roles.ts";
import {
  assertMayManage,
  COLUMNS,
  lockStaff,
  present,
  type StaffChange,
  StaffId,
  updateStaffUser,
} from "./staff-users.ts";
import { endAllSessions } from "./web-sessions.ts";

// Mending a staff account its user cannot get into: a forgotten password (a new one, or a one-time one),
// a lost phone (two-factor login off), a user disabled and now back (enable). Owners and admins do it (an
// admin not for an owner), audited like the other staff verbs; the CLI may too, which is how the only owner
// gets back in. A new password or a second factor turned off ends every session of the user: whoever held
// the old credentials is out.

/**
 * Sets a staff user's password and ends their sessions (audited, no hash in the audit). Without a password,
 * a random one is made and returned once, for the user to log in with; the console then opens nothing but
 * the change-password page until they have chosen their own.
 */
export const setStaffPassword = defineVerb(
  StaffId.extend({ password: PasswordSchema.optional() }).strict(),
  async ({ ctx, input }): Promise<{ id: string; password?: string }> => {
    const actor = await requireStaffRole(ctx, ...ADMIN_ROLES);
    const password = input.password ?? generatePassword();
    const passwordHash = await hashPassword(password);
    await withTransaction(ctx, async (tx) => {
      const before = await lockStaff(tx, input.id);
      assertMayManage(actor, before.role);
      await tx.db
        .updateTable("staff_user")
        // A generated password must be changed at the next login; one given (chosen by the user, as the
        // sandbox's and `--password`'s are) need not, and clears a pending demand.
        .set({
          password_hash: passwordHash,
          must_change_password: input.password === undefined,
          updated_at: ctx.now(),
        })
        .where("id", "=", input.id)
        .execute();
      await endAllSessions(tx, { kind: "staff", staffUserId: input.id });
      await recordAudit(tx.db, tx, {
        action: "update",
        entity: "staff_user",
        entityId: input.id,
        before: { password: "set" },
        after: { password: input.password === undefined ? "reset to a one-time password" : "changed" },
      });
    });
    return input.password === undefined ? { id: input.id, password } : { id: input.id };
  },
);

/**
 * Turns a user's two-factor login off (a lost phone), dropping the secret and any enrolment begun, and ends
 * their sessions; they log in with the password alone and may enrol again. Off already: nothing changes.
 */
export const resetStaffTwoFactor = defineVerb(
  StaffId.strict(),
  async ({ ctx, input }): Promise<StaffChange> => {
    const actor = await requireStaffRole(ctx, ...ADMIN_ROLES);
    return withTransaction(ctx, async (tx) => {
      const before = await lockStaff(tx, input.id);
      assertMayManage(actor, before.role);
      if (before.totp_enabled_at === null) return { ...present(before), changed: false };
      const row = await tx.db
        .updateTable("staff_user")
        .set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null, updated_at: ctx.now() })
        .where("id", "=", input.id)
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      await endAllSessions(tx, { kind: "staff", staffUserId: input.id });
      await recordAudit(tx.db, tx, {
        action: "update",
        entity: "staff_user",
        entityId: input.id,
        before: { totp_enabled: true },
        after: { totp_enabled: false },
      });
      return { ...present(row), changed: true };
    });
  },
);

/** Enables a disabled user again (audited); they log in with their password. Enabled already: nothing changes. */
export const enableStaffUser = defineVerb(StaffId.strict(), async ({ ctx, input }): Promise<StaffChange> => {
  const actor = await requireStaffRole(ctx, ...ADMIN_ROLES);
  return withTransaction(ctx, async (tx) => {
    const before = await lockStaff(tx, input.id);
    assertMayManage(actor, before.role);
    if (before.disabled_at === null) return { ...present(before), changed: false };
    const after = await updateStaffUser(tx, before, { disabled_at: null });
    return { ...after, changed: true };
  });
});
