import { createHash, randomBytes } from "node:crypto";
import type { ExpressionBuilder } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { PasswordSchema } from "../staff/passwords.ts";
import { startSession } from "../staff/web-sessions.ts";
import { customerByEmail, storePortalPassword } from "./portal-accounts.ts";

// The portal's e-mailed tokens: a magic link logs in once within 15 minutes, a reset link sets a new
// password once within an hour. Only the token's SHA-256 is stored (the tokens are random: a fast hash is
// enough), a token is spent by the one UPDATE that finds it unused and unexpired (two clicks racing: one
// wins), and a new token of the same purpose retires the older ones.

export type PortalTokenPurpose = "magic_link" | "password_reset";

export const TOKEN_LIFETIME_MS: Record<PortalTokenPurpose, number> = {
  magic_link: 15 * 60_000,
  password_reset: 60 * 60_000,
};

const hashOf = (token: string) => createHash("sha256").update(token).digest("hex");

/** Only a token of the length this file issues (43 characters) is looked up; anything else is no token. */
const mayBeToken = (token: string) => token.length >= 20 && token.length <= 100;

/**
 * The token's row while it may be spent (of this purpose, unused, unexpired): one condition for spending it
 * and for the pages that ask whether it would be, so a link they call live is one its button spends.
 */
const liveToken =
  (token: string, purpose: PortalTokenPurpose, now: Date) =>
  (eb: ExpressionBuilder<Database, "portal_token">) =>
    eb.and([
      eb("portal_token.token_hash", "=", hashOf(token)),
      eb("portal_token.purpose", "=", purpose),
      eb("portal_token.used_at", "is", null),
      eb("portal_token.expires_at", ">", now),
    ]);

/**
 * A new token for the customer with this e-mail, or undefined when no customer has it. Called by the
 * `portal.link_email` job (portal-link-mail.ts), never by the page, which says the same either way ("if the
 * address belongs to an account, a link is on its way") and answers before anything is looked up.
 */
export async function issuePortalToken(
  ctx: ServiceContext,
  email: string,
  purpose: PortalTokenPurpose,
): Promise<{ customer: { id: bigint; email: string; name: string }; token: string } | undefined> {
  const customer = await customerByEmail(ctx, email);
  if (!customer) return undefined;
  const token = randomBytes(32).toString("base64url");
  const now = ctx.now();
  await withTransaction(ctx, async (tx) => {
    await tx.db
      .updateTable("portal_token")
      .set({ used_at: now })
      .where("customer_id", "=", customer.id)
      .where("purpose", "=", purpose)
      .where("used_at", "is", null)
      .execute();
    await tx.db
      .insertInto("portal_token")
      .values({
        token_hash: hashOf(token),
        customer_id: customer.id,
        purpose,
        created_at: now,
        expires_at: new Date(now.getTime() + TOKEN_LIFETIME_MS[purpose]),
      })
      .execute();
  });
  return { customer, token };
}

/** Spends a token: the customer it was for, or UNAUTHORIZED when it is unknown, used or expired. */
export async function spendPortalToken(
  ctx: Pick<ServiceContext, "db" | "now">,
  token: string,
  purpose: PortalTokenPurpose,
): Promise<bigint> {
  const now = ctx.now();
  const row = mayBeToken(token)
    ? await ctx.db
        .updateTable("portal_token")
        .set({ used_at: now })
        .where(liveToken(token, purpose, now))
        .returning("customer_id")
        .executeTakeFirst()
    : undefined;
  if (!row) throw new ServiceError("UNAUTHORIZED", "this link is not valid any more; ask for a new one");
  return row.customer_id;
}

/**
 * Logs in by a login link: spends it and starts the customer's session in one transaction, so that a password
 * change (which retires the links before it ends the sessions, storePortalPassword) either waits for the link
 * and then ends its session, or went first and the link is spent. Until 2026-12-07 the two were separate
 * statements, and a change landing between them left the link's session standing. UNAUTHORIZED as
 * spendPortalToken.
 */
export async function startPortalLinkSession(
  ctx: ServiceContext,
  token: string,
): Promise<{ customerId: bigint; token: string }> {
  return withTransaction(ctx, async (tx) => {
    const customerId = await spendPortalToken(tx, token, "magic_link");
    const session = await startSession(tx, { kind: "customer", customerId });
    return { customerId, token: session.token };
  });
}

/**
 * Whether a token would be spent now (unused, unexpired, of this purpose), without spending it: the page a
 * link opens says at once that it is stale, while only its button spends it (mail scanners open links).
 */
export async function portalTokenIsLive(
  ctx: Pick<ServiceContext, "db" | "now">,
  token: string,
  purpose: PortalTokenPurpose,
): Promise<boolean> {
  if (!mayBeToken(token)) return false;
  const row = await ctx.db
    .selectFrom("portal_token")
    .select("customer_id")
    .where(liveToken(token, purpose, ctx.now()))
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The e-mail of the customer a live token (as portalTokenIsLive) belongs to, or undefined: the reset page names
 * the account for password managers. Whoever holds the link was sent it at that address.
 */
export async function livePortalTokenEmail(
  ctx: Pick<ServiceContext, "db" | "now">,
  token: string,
  purpose: PortalTokenPurpose,
): Promise<string | undefined> {
  if (!mayBeToken(token)) return undefined;
  const row = await ctx.db
    .selectFrom("portal_token")
    .innerJoin("customer", "customer.id", "portal_token.customer_id")
    .select("customer.email")
    .where(liveToken(token, purpose, ctx.now()))
    .executeTakeFirst();
  return row?.email;
}

/** Sets a new password from a reset link (spent in the same transaction), ending every open session. */
export async function resetPortalPassword(
  ctx: ServiceContext,
  token: string,
  password: string,
): Promise<bigint> {
  const checked = PasswordSchema.safeParse(password);
  if (!checked.success) throw ServiceError.validation("password", checked.error.issues[0]!.message);
  return withTransaction(ctx, async (tx) => {
    const customerId = await spendPortalToken(tx, token, "password_reset");
    await storePortalPassword(tx, customerId, checked.data);
    return customerId;
  });
}
