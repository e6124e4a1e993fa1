import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { publicUrl } from "../../config.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { customerScope } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ADMIN_ROLES, requireStaffRole } from "../staff/staff-roles.ts";
import { appSecret } from "./app-secret.ts";

// The signed link to tokenbill's /sso/solusio that a billing portal puts behind an "open control panel"
// button. It names one customer, expires after five minutes and logs in once: its random nonce is signed
// with the customer and the expiry, and recorded when the link is redeemed.

const LINK_LIFETIME_S = 300;
const NONCE = /^[A-Za-z0-9_-]{22}$/;

function sign(secret: string, customerId: string, expires: number, nonce: string): string {
  return createHmac("sha256", secret).update(`sso:${customerId}:${expires}:${nonce}`).digest("base64url");
}

export async function createSsoLink(
  ctx: ServiceContext,
  customerId: bigint,
): Promise<{ url: string; expires_at: string }> {
  if (ctx.actor.kind !== "customer") await requireStaffRole(ctx, ...ADMIN_ROLES);
  customerScope(ctx.actor, customerId);
  const customer = await ctx.db
    .selectFrom("customer")
    .select("id")
    .where("id", "=", customerId)
    .executeTakeFirst();
  if (!customer) throw ServiceError.notFound(`customer ${customerId}`);
  const expires = Math.floor(ctx.now().getTime() / 1000) + LINK_LIFETIME_S;
  const nonce = randomBytes(16).toString("base64url");
  const sig = sign(await appSecret(ctx.db, "sso"), String(customerId), expires, nonce);
  const query = new URLSearchParams({ customer: String(customerId), expires: String(expires), nonce, sig });
  return {
    url: `${publicUrl(ctx.config)}/sso/solusio?${query}`,
    expires_at: new Date(expires * 1000).toISOString(),
  };
}

interface VerifiedLink {
  customerId: bigint;
  nonce: string;
  expiresAt: Date;
}

/** Checks a link's signature and lifetime; throws FORBIDDEN with a reason a person can read. */
async function verifySsoLink(ctx: ServiceContext, query: Record<string, unknown>): Promise<VerifiedLink> {
  const text = (key: string) => (typeof query[key] === "string" ? (query[key] as string) : "");
  const customer = text("customer");
  const expires = Number(text("expires") || Number.NaN);
  const nonce = text("nonce");
  const sig = text("sig");
  if (!/^[1-9]\d{0,18}$/.test(customer) || !Number.isSafeInteger(expires) || !NONCE.test(nonce) || !sig) {
    throw new ServiceError("FORBIDDEN", "this login link is incomplete");
  }
  const expected = Buffer.from(sign(await appSecret(ctx.db, "sso"), customer, expires, nonce));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new ServiceError("FORBIDDEN", "this login link is not valid");
  }
  if (expires * 1000 < ctx.now().getTime())
    throw new ServiceError("FORBIDDEN", "this login link has expired; log in again");
  return { customerId: BigInt(customer), nonce, expiresAt: new Date(expires * 1000) };
}

/**
 * Redeems a link: verifies it, marks it used, and runs `login` for its customer. A link that was used
 * before is refused; when `login` fails (SolusIO down), the link is released so the person can try again.
 */
export async function redeemSsoLink<T>(
  ctx: ServiceContext,
  query: Record<string, unknown>,
  login: (customerId: bigint) => Promise<T>,
): Promise<T> {
  const link = await verifySsoLink(ctx, query);
  // Used links are kept only until they would have expired anyway.
  await ctx.db.deleteFrom("sso_link_use").where("expires_at", "<", ctx.now()).execute();
  const claimed = await ctx.db
    .insertInto("sso_link_use")
    .values({ nonce: link.nonce, customer_id: link.customerId, expires_at: link.expiresAt })
    .onConflict((oc) => oc.doNothing())
    .returning("nonce")
    .executeTakeFirst();
  if (!claimed) throw new ServiceError("FORBIDDEN", "this login link was already used; log in again");
  try {
    return await login(link.customerId);
  } catch (error) {
    await ctx.db.deleteFrom("sso_link_use").where("nonce", "=", link.nonce).execute();
    throw error;
  }
}
