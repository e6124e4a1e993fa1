import { z } from "zod";
import type { Db, ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { id } from "../../kernel/schemas.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import {
  generatePassword,
  hashPassword,
  PasswordSchema,
  spendPasswordCheck,
  verifyPassword,
} from "../staff/passwords.ts";
import { deviceStamp } from "../staff/device-epoch.ts";
import { ADMIN_ROLES, requireStaffRole } from "../staff/staff-roles.ts";
import { type LoginCredentials, parseLoginCredentials, wrongLogin } from "../staff/login-credentials.ts";
import { StaffEmail } from "../staff/staff-users.ts";
import { endAllSessions } from "../staff/web-sessions.ts";

// A customer's login to the portal. The portal's e-mail is the customer's own (customer.email), so there
// is one address to keep right; a password is optional (portal_account.password_hash), as a customer can
// always log in by an e-mailed link.

/**
 * The customer these credentials belong to, with the password hash they were checked against (the session is
 * started only while it is still the account's: startSession's `passwordHash`); UNAUTHORIZED (after the same
 * work) otherwise.
 */
export async function authenticateCustomer(
  ctx: Pick<ServiceContext, "db">,
  credentials: z.input<typeof LoginCredentials>,
): Promise<{ customerId: bigint; passwordHash: string }> {
  const input = parseLoginCredentials(credentials);
  const row = await ctx.db
    .selectFrom("customer")
    .leftJoin("portal_account", "portal_account.customer_id", "customer.id")
    .select(["customer.id", "portal_account.password_hash"])
    .where((eb) => eb(eb.fn("lower", ["customer.email"]), "=", input.email))
    .executeTakeFirst();
  if (!row?.password_hash) {
    await spendPasswordCheck(input.password);
    throw wrongLogin();
  }
  if (!(await verifyPassword(row.password_hash, input.password))) throw wrongLogin();
  return { customerId: row.id, passwordHash: row.password_hash };
}

/**
 * The customer a portal login names (by e-mail, as authenticateCustomer looks it up, or by id) and the stamp
 * a known device's cookie is bound to (src/web/login-device.ts): its password hash and device epoch
 * (device-epoch.ts), so a new password or "log out everywhere" voids every cookie made before it; for the
 * hash, NO_PASSWORD_STAMP for an account that logs in only by e-mailed link (until
 * 2026-12-06 such an account had no stamp and its browsers no cookie). A password can be set but never
 * removed, so a link-only account's cookies are voided by its first password too. Undefined without a
 * customer.
 */
export async function customerDeviceSubject(
  ctx: Pick<ServiceContext, "db">,
  by: { email: string } | { id: bigint },
): Promise<{ id: string; stamp: string } | undefined> {
  let query = ctx.db
    .selectFrom("customer")
    .leftJoin("portal_account", "portal_account.customer_id", "customer.id")
    .select(["customer.id", "portal_account.password_hash", "portal_account.device_epoch"]);
  if ("id" in by) query = query.where("customer.id", "=", by.id);
  else {
    const email = StaffEmail.safeParse(by.email);
    if (!email.success) return undefined;
    query = query.where((eb) => eb(eb.fn("lower", ["customer.email"]), "=", email.data));
  }
  const row = await query.executeTakeFirst();
  return (
    row && {
      id: String(row.id),
      stamp: deviceStamp(row.password_hash ?? NO_PASSWORD_STAMP, row.device_epoch),
    }
  );
}

/** The stamp of an account without a password: no argon2id hash (they start `$argon2id$`) can equal it. */
export const NO_PASSWORD_STAMP = "no password";

/** The customer with this e-mail (any case), if any: where magic links and resets go. */
export async function customerByEmail(
  ctx: Pick<ServiceContext, "db">,
  email: string,
): Promise<{ id: bigint; email: string; name: string } | undefined> {
  const parsed = StaffEmail.safeParse(email);
  if (!parsed.success) return undefined;
  return ctx.db
    .selectFrom("customer")
    .select(["id", "email", "name"])
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", parsed.data))
    .executeTakeFirst();
}

/**
 * Retires every outstanding e-mailed token of the customer (login links and reset links), in the caller's
 * transaction: when its e-mail changes (the links went to an address that no longer holds the account) and
 * when its password is set, changed or reset (a reset link asked for before must not set it again). Until
 * 2026-12-04 a token was retired only by a new one of its kind, so a reset link sent to an old address still
 * set the password after staff changed the e-mail.
 */
export async function revokePortalTokens(db: Db, now: Date, customerId: bigint): Promise<void> {
  await db
    .updateTable("portal_token")
    .set({ used_at: now })
    .where("customer_id", "=", customerId)
    .where("used_at", "is", null)
    .execute();
}

/**
 * Stores a customer's new portal password, retires their outstanding login and reset links and ends their
 * open sessions (a new password locks others out), in one transaction. The links first: a link being used
 * holds its row until its session is written (startPortalLinkSession), so retiring them waits for that
 * session, which the sessions' end then sees (until 2026-12-07 they ended first and missed it). Given
 * `checked` (the hash a current password was checked against), only while it is still the account's: false,
 * and nothing stored, when another change landed since.
 */
export async function storePortalPassword(
  ctx: ServiceContext,
  customerId: bigint,
  password: string,
  checked?: string,
): Promise<boolean> {
  const passwordHash = await hashPassword(PasswordSchema.parse(password));
  return withTransaction(ctx, async (tx) => {
    if (checked === undefined)
      await tx.db
        .insertInto("portal_account")
        .values({
          customer_id: customerId,
          password_hash: passwordHash,
          created_at: ctx.now(),
          updated_at: ctx.now(),
        })
        .onConflict((oc) =>
          oc.column("customer_id").doUpdateSet({ password_hash: passwordHash, updated_at: ctx.now() }),
        )
        .execute();
    else {
      const updated = await tx.db
        .updateTable("portal_account")
        .set({ password_hash: passwordHash, updated_at: ctx.now() })
        .where("customer_id", "=", customerId)
        .where("password_hash", "=", checked)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) return false;
    }
    await revokePortalTokens(tx.db, ctx.now(), customerId);
    await endAllSessions(tx, { kind: "customer", customerId });
    return true;
  });
}

/**
 * Staff set a customer's portal password (owner or admin); without one, a random password is made and
 * returned once. The sandbox makes its demo logins with it.
 */
export const setPortalPassword = defineVerb(
  z.object({ customer_id: id, password: PasswordSchema.optional() }).strict(),
  async ({ ctx, input }): Promise<{ customer_id: bigint; password?: string }> => {
    await requireStaffRole(ctx, ...ADMIN_ROLES);
    const customer = await ctx.db
      .selectFrom("customer")
      .select("id")
      .where("id", "=", input.customer_id)
      .executeTakeFirst();
    if (!customer) throw ServiceError.notFound(`customer ${input.customer_id}`);
    const password = input.password ?? generatePassword();
    await storePortalPassword(ctx, input.customer_id, password);
    return input.password === undefined
      ? { customer_id: input.customer_id, password }
      : { customer_id: input.customer_id };
  },
);

/** The portal's header: who is logged in. A customer sees only itself, from the session. */
export const currentPortalCustomer = defineVerb(
  z.object({}).strict(),
  async ({ ctx }): Promise<{ id: bigint; name: string; email: string }> => {
    if (ctx.actor.kind !== "customer") throw new ServiceError("FORBIDDEN", "only a customer has a portal");
    const row = await ctx.db
      .selectFrom("customer")
      .select(["id", "name", "email"])
      .where("id", "=", ctx.actor.customerId)
      .executeTakeFirst();
    if (!row) throw new ServiceError("UNAUTHORIZED", "this customer no longer exists");
    return row;
  },
);
