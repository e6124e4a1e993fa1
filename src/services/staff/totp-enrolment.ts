import { ServiceError } from "../../kernel/errors.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "./staff-roles.ts";
import { totpUri } from "./totp.ts";

// A TOTP set-up in progress: beginTotpEnrolment stored a key that protects nothing until a code from it is
// confirmed. The account page shows it again on every view until then, so a reload or a return from the
// authenticator app finds the same key (until 2026-12-07 it was shown once, in the answer to the POST that
// made it, and a reload showed no set-up at all while the key waited unseen).

/** The acting staff user's set-up in progress: its key and otpauth:// URL; null when none is waiting. */
export const pendingTotpEnrolment = defineVerb(
  NoInput,
  async ({ ctx }): Promise<{ secret: string; otpauth_url: string } | null> => {
    const me = await requireStaffRole(ctx, ...READ_ROLES);
    if (!me) throw new ServiceError("FORBIDDEN", "only a staff user enrols a second factor");
    const row = await ctx.db
      .selectFrom("staff_user")
      .select(["totp_secret", "totp_enabled_at"])
      .where("id", "=", me.id)
      .executeTakeFirstOrThrow();
    if (!row.totp_secret || row.totp_enabled_at !== null) return null;
    return { secret: row.totp_secret, otpauth_url: totpUri(row.totp_secret, me.email) };
  },
);

/**
 * Drops the set-up in progress: its key is forgotten, so a code from it never turns two-factor login on.
 * Two-factor login already on is left as it is (turning it off is another matter). Returns whether one waited.
 */
export const cancelTotpEnrolment = defineVerb(NoInput, async ({ ctx }): Promise<{ cancelled: boolean }> => {
  const me = await requireStaffRole(ctx, ...READ_ROLES);
  if (!me) throw new ServiceError("FORBIDDEN", "only a staff user enrols a second factor");
  const updated = await ctx.db
    .updateTable("staff_user")
    .set({ totp_secret: null, totp_last_step: null, updated_at: ctx.now() })
    .where("id", "=", me.id)
    .where("totp_enabled_at", "is", null)
    .where("totp_secret", "is not", null)
    .executeTakeFirst();
  return { cancelled: updated.numUpdatedRows > 0n };
});
