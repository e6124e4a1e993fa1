import { ServiceError } from "../../kernel/errors.ts";
import { customerScope } from "../../kernel/actor.ts";
import type { SolusioConnection } from "../../solusio/connect-solusio.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { isOwnedBy } from "../sync/adoption.ts";
import { ADMIN_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

// Single sign-on into the SolusIO user area (seed step 9, solusio-api.md §3). Locked customers may still log
// in (they only cannot create servers); suspended ones are refused, and so is a customer whose SolusIO user
// is not its own (a sync conflict, or a user billing has not adopted): never log in as someone else.

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
  // An operator may open any customer's user area; a customer only its own (the signed link's redeemer).
  // Staff act in the customer's name there, so only those who may change customers may do it.
  if (ctx.actor.kind !== "customer") await requireStaffRole(ctx, ...ADMIN_ROLES);
  customerScope(ctx.actor, customerId);
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
