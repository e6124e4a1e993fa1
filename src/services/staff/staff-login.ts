import { z } from "zod";
import type { ServiceContext } from "../../kernel/context.ts";
import { recordAudit } from "../../kernel/audit.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { type LoginCredentials, parseLoginCredentials, wrongLogin } from "./login-credentials.ts";
import { spendPasswordCheck, verifyPassword } from "./passwords.ts";
import { READ_ROLES, requireStaffRole, type StaffIdentity } from "./staff-roles.ts";
import { StaffEmail } from "./staff-users.ts";
import { checkTotp, newTotpSecret, totpUri } from "./totp.ts";
import { deviceStamp, voidKnownDevices } from "./device-epoch.ts";
import { endAllSessions, type SessionSubject } from "./web-sessions.ts";

// Logging a staff user in: the password, then (when enrolled) the TOTP code. The web layer counts failures
// (src/web/login-limiter.ts) and keeps the session; these only decide whether the person is who they say.

/**
 * The staff user whose e-mail and password these are, and whether a TOTP code must follow. An unknown
 * e-mail, a wrong password and a disabled account all get the same UNAUTHORIZED, after the same work.
 */
export async function authenticateStaff(
  ctx: Pick<ServiceContext, "db">,
  credentials: z.input<typeof LoginCredentials>,
): Promise<{
  user: StaffIdentity;
  totpRequired: boolean;
  mustChangePassword: boolean;
  /** The hash the password was checked against: the session starts only while it is the user's (startSession). */
  passwordHash: string;
}> {
  const input = parseLoginCredentials(credentials);
  const row = await ctx.db
    .selectFrom("staff_user")
    .select([
      "id",
      "email",
      "name",
      "role",
      "password_hash",
      "totp_enabled_at",
      "disabled_at",
      "must_change_password",
    ])
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", input.email))
    .executeTakeFirst();
  if (!row) {
    await spendPasswordCheck(input.password);
    throw wrongLogin();
  }
  const ok = await verifyPassword(row.password_hash, input.password);
  if (!ok || row.disabled_at !== null) throw wrongLogin();
  return {
    user: { id: row.id, email: row.email, name: row.name, role: row.role },
    totpRequired: row.totp_enabled_at !== null,
    // A generated password (migration 034): the login ends on the change-password page.
    mustChangePassword: row.must_change_password,
    passwordHash: row.password_hash,
  };
}

/**
 * The enabled staff user a login names (by e-mail, as authenticateStaff looks it up, or by id) and the stamp
 * a known device's cookie is bound to (src/web/login-device.ts): its password hash and device epoch
 * (device-epoch.ts), so a new password or "log out everywhere" voids every cookie made before it. Undefined
 * for no such user.
 */
export async function staffDeviceSubject(
  ctx: Pick<ServiceContext, "db">,
  by: { email: string } | { id: string },
): Promise<{ id: string; stamp: string } | undefined> {
  let query = ctx.db
    .selectFrom("staff_user")
    .select(["id", "password_hash", "device_epoch"])
    .where("disabled_at", "is", null);
  if ("id" in by) query = query.where("id", "=", by.id);
  else {
    const email = StaffEmail.safeParse(by.email);
    if (!email.success) return undefined;
    query = query.where((eb) => eb(eb.fn("lower", ["email"]), "=", email.data));
  }
  const row = await query.executeTakeFirst();
  return row && { id: row.id, stamp: deviceStamp(row.password_hash, row.device_epoch) };
}

/** Checks a login's TOTP code and records its time step, so the same code cannot be used again. */
export async function verifyStaffTotp(
  ctx: Pick<ServiceContext, "db" | "now">,
  staffUserId: string,
  code: string,
): Promise<boolean> {
  const row = await ctx.db
    .selectFrom("staff_user")
    .select(["totp_secret", "totp_enabled_at", "totp_last_step"])
    .where("id", "=", staffUserId)
    .where("disabled_at", "is", null)
    .executeTakeFirst();
  if (!row?.totp_secret || row.totp_enabled_at === null) return false;
  const step = await checkTotp(row.totp_secret, code, ctx.now(), row.totp_last_step);
  if (step === undefined) return false;
  // Two logins racing with one code: only the one that moves the step forward wins.
  const updated = await ctx.db
    .updateTable("staff_user")
    .set({ totp_last_step: step })
    .where("id", "=", staffUserId)
    .where((eb) => eb.or([eb("totp_last_step", "is", null), eb("totp_last_step", "<", step)]))
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

/**
 * Starts TOTP enrolment for the acting staff user: a new secret, returned once with its otpauth:// URL for
 * an authenticator app. It protects logins only after confirmTotpEnrolment proved the app has it.
 */
export const beginTotpEnrolment = defineVerb(
  NoInput,
  async ({ ctx }): Promise<{ secret: string; otpauth_url: string }> => {
    const me = await requireStaffRole(ctx, ...READ_ROLES);
    if (!me) throw new ServiceError("FORBIDDEN", "only a staff user enrols a second factor");
    const secret = newTotpSecret();
    const updated = await ctx.db
      .updateTable("staff_user")
      .set({ totp_secret: secret, totp_last_step: null, updated_at: ctx.now() })
      .where("id", "=", me.id)
      .where("totp_enabled_at", "is", null)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n)
      throw new ServiceError("CONFLICT", "two-factor login is already on; turn it off first to enrol again");
    return { secret, otpauth_url: totpUri(secret, me.email) };
  },
);

const CodeInput = z
  .object({
    code: z
      .string()
      .trim()
      .regex(/^\d{6}$/, "enter the 6-digit code"),
  })
  .strict();

/** Turns TOTP on once a code from the enrolled secret checks out (audited). */
export const confirmTotpEnrolment = defineVerb(CodeInput, async ({ ctx, input }): Promise<void> => {
  const me = await requireStaffRole(ctx, ...READ_ROLES);
  if (!me) throw new ServiceError("FORBIDDEN", "only a staff user enrols a second factor");
  await withTransaction(ctx, async (tx) => {
    const row = await tx.db
      .selectFrom("staff_user")
      .select(["totp_secret", "totp_enabled_at"])
      .where("id", "=", me.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (row.totp_enabled_at !== null) throw new ServiceError("CONFLICT", "two-factor login is already on");
    if (!row.totp_secret) throw new ServiceError("CONFLICT", "start the enrolment first");
    const step = await checkTotp(row.totp_secret, input.code, ctx.now(), null);
    if (step === undefined) throw ServiceError.validation("code", "this code is not right; try the next one");
    await tx.db
      .updateTable("staff_user")
      .set({ totp_enabled_at: ctx.now(), totp_last_step: step, updated_at: ctx.now() })
      .where("id", "=", me.id)
      .execute();
    await recordAudit(tx.db, tx, {
      action: "update",
      entity: "staff_user",
      entityId: me.id,
      before: { totp_enabled: false },
      after: { totp_enabled: true },
    });
  });
});

/**
 * Ends every session of the acting person, this one included ("log out everywhere"): a staff user's or
 * a customer's, and voids every known-device cookie of theirs (device-epoch.ts; until 2026-12-06 they stayed
 * valid), in one transaction. Returns how many sessions were open.
 */
export const logoutEverywhere = defineVerb(NoInput, async ({ ctx }): Promise<{ ended: number }> => {
  const actor = ctx.actor;
  let subject: SessionSubject;
  if (actor.kind === "customer") subject = { kind: "customer", customerId: actor.customerId };
  else {
    const me = await requireStaffRole(ctx, ...READ_ROLES);
    if (!me) throw new ServiceError("FORBIDDEN", "only a logged-in person has sessions");
    subject = { kind: "staff", staffUserId: me.id };
  }
  return withTransaction(ctx, async (tx) => {
    await voidKnownDevices(tx, subject);
    return { ended: await endAllSessions(tx, subject) };
  });
});
