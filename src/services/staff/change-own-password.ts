import { z } from "zod";
import { recordAudit } from "../../kernel/audit.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { hashPassword, PasswordSchema, verifyPassword } from "./passwords.ts";
import { READ_ROLES, requireStaffRole } from "./staff-roles.ts";
import { endAllSessions } from "./web-sessions.ts";

// A staff user changes their own password (the console's change-password page), proving the current one. It
// clears `must_change_password` (migration 034), set while the password is one somebody else generated, and
// ends every session of the user, this one included: whoever held the old password is out, and the page
// starts a fresh session for the browser that made the change (rotation, as at login).

/** Said for a current password that is not the user's: the page counts it as a failed guess. */
export const WRONG_CURRENT_PASSWORD = "is not your current password";

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this regex's job.
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;

/**
 * A new password the user types: PasswordSchema's bounds (12 to 200), and, since it is being chosen now, no
 * control character (a tab or line break pasted with it could not be typed again at the login). Passwords set
 * before, which may hold a tab, still log in: the current password is only bounded, as at the login.
 */
const NewPassword = PasswordSchema.refine(
  (password) => !CONTROL.test(password),
  "must not hold a control character (such as a tab or a line break)",
);

export const OwnPasswordChange = z
  .object({
    current_password: z.string().min(1, "enter your current password").max(200, WRONG_CURRENT_PASSWORD),
    new_password: NewPassword,
  })
  .strict();

export const changeOwnStaffPassword = defineVerb(
  OwnPasswordChange,
  async ({ ctx, input }): Promise<{ id: string; sessions_ended: number }> => {
    const me = await requireStaffRole(ctx, ...READ_ROLES);
    if (!me) throw new ServiceError("FORBIDDEN", "only a staff user changes their own password");
    const row = await ctx.db
      .selectFrom("staff_user")
      .select("password_hash")
      .where("id", "=", me.id)
      .executeTakeFirstOrThrow();
    if (!(await verifyPassword(row.password_hash, input.current_password)))
      throw ServiceError.validation("current_password", WRONG_CURRENT_PASSWORD);
    if (input.new_password === input.current_password)
      throw ServiceError.validation("new_password", "must differ from the current password");
    const passwordHash = await hashPassword(input.new_password);
    return withTransaction(ctx, async (tx) => {
      // Only if the hash is still the one checked: two changes racing with the same current password make one.
      const updated = await tx.db
        .updateTable("staff_user")
        .set({ password_hash: passwordHash, must_change_password: false, updated_at: ctx.now() })
        .where("id", "=", me.id)
        .where("password_hash", "=", row.password_hash)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n)
        throw ServiceError.validation("current_password", WRONG_CURRENT_PASSWORD);
      const ended = await endAllSessions(tx, { kind: "staff", staffUserId: me.id });
      await recordAudit(tx.db, tx, {
        action: "update",
        entity: "staff_user",
        entityId: me.id,
        before: { password: "set" },
        after: { password: "changed by its user" },
      });
      return { id: me.id, sessions_ended: ended };
    });
  },
);
