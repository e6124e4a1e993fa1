import { createHmac, timingSafeEqual } from "node:crypto";
import { publicUrl } from "../../config.ts";
import { ServiceError } from "../../errors.ts";
import type { SolusioConnection } from "../../solusio/connect-solusio.ts";
import type { ServiceContext } from "../context.ts";
import { isOwnedBy } from "../sync/adoption.ts";
import { appSecret } from "./app-secret.ts";

// Single sign-on into the SolusIO user area (seed step 9, solusio-api.md §3). Locked customers may still log
// in (they only cannot create servers); suspended ones are refused, and so is a customer whose SolusIO user
// is not its own (a sync conflict, or a user billing has not adopted): never log in as someone else.

const LINK_LIFETIME_S = 300;

async function solusioUserIdOf(
  ctx: ServiceContext,
  solusio: SolusioConnection,
  customerId: bigint,
): Promise<number> {
  const customer = await ctx.db
    .selectFrom("customer")
    .selectAll()
    .where("id", "=", customerId)
    .executeTakeFirst();
  if (!customer) throw ServiceError.notFound(`customer ${customerId}`);
  if (customer.status === "suspended") {
    throw new ServiceError("FORBIDDEN", "this account is suspended; contact support to restore access");
  }
  if (customer.sync_state === "conflict") {
    throw new ServiceError(
      "CONFLICT",
      // Not the sync error itself: this message also reaches the customer's browser (/sso/solusio).
      `customer ${customerId} cannot log in to SolusIO: its sync is in conflict with a SolusIO account that ` +
        "billing may not take over; the customer's sync.error says how to resolve it",
    );
  }
  // Whichever way it is found, the user must be this customer's own right now: SolusIO may have changed it
  // since the last sync (another billing_user_id, an admin role), and a user found by e-mail that the sync
  // has not adopted yet is someone else's.
  const user =
    customer.solusio_user_id !== null
      ? await solusio.api.getUser(Number(customer.solusio_user_id))
      : await solusio.api.findUserByEmail(customer.email);
  if (!user || !isOwnedBy(user, Number(customer.id))) {
    throw new ServiceError(
      "CONFLICT",
      `customer ${customerId} has no SolusIO user of its own yet (sync state: ${customer.sync_state}); ` +
        "see the customer's sync error, or run tokenbill solusio reconcile",
    );
  }
  return user.id;
}

/** A one-time login URL: {user area}/auth/by_token/{token}. */
export async function createSsoUrl(
  ctx: ServiceContext,
  solusio: SolusioConnection,
  customerId: bigint,
): Promise<string> {
  const userId = await solusioUserIdOf(ctx, solusio, customerId);
  let token: string;
  try {
    token = await solusio.api.oneTimeLoginToken(userId);
  } catch (error) {
    throw new ServiceError(
      "UPSTREAM_UNAVAILABLE",
      `SolusIO did not issue a login token: ${(error as Error).message}`,
    );
  }
  return `${solusio.userAreaUrl.replace(/\/+$/, "")}/auth/by_token/${encodeURIComponent(token)}`;
}

function sign(secret: string, customerId: string, expires: number): string {
  return createHmac("sha256", secret).update(`sso:${customerId}:${expires}`).digest("base64url");
}

/** A short-lived signed link to tokenbill's /sso/solusio, for a billing portal to put behind a button. */
export async function createSsoLink(
  ctx: ServiceContext,
  customerId: bigint,
): Promise<{ url: string; expires_at: string }> {
  const customer = await ctx.db
    .selectFrom("customer")
    .select("id")
    .where("id", "=", customerId)
    .executeTakeFirst();
  if (!customer) throw ServiceError.notFound(`customer ${customerId}`);
  const expires = Math.floor(ctx.now().getTime() / 1000) + LINK_LIFETIME_S;
  const sig = sign(await appSecret(ctx.db, "sso"), String(customerId), expires);
  const query = new URLSearchParams({ customer: String(customerId), expires: String(expires), sig });
  return {
    url: `${publicUrl(ctx.config)}/sso/solusio?${query}`,
    expires_at: new Date(expires * 1000).toISOString(),
  };
}

/** Checks a signed link; returns the customer id or throws FORBIDDEN with a reason a person can read. */
export async function verifySsoLink(ctx: ServiceContext, query: Record<string, unknown>): Promise<bigint> {
  const customer = typeof query["customer"] === "string" ? query["customer"] : "";
  const expires = Number(typeof query["expires"] === "string" ? query["expires"] : Number.NaN);
  const sig = typeof query["sig"] === "string" ? query["sig"] : "";
  if (!/^[1-9]\d{0,18}$/.test(customer) || !Number.isSafeInteger(expires) || !sig) {
    throw new ServiceError("FORBIDDEN", "this login link is incomplete");
  }
  const expected = Buffer.from(sign(await appSecret(ctx.db, "sso"), customer, expires));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new ServiceError("FORBIDDEN", "this login link is not valid");
  }
  if (expires * 1000 < ctx.now().getTime())
    throw new ServiceError("FORBIDDEN", "this login link has expired; log in again");
  return BigInt(customer);
}
