import type { SolusioUser } from "../../solusio/schemas.ts";

// Which SolusIO users billing may manage for a customer (solusio-api.md §2). A user found by e-mail
// or by a stored id is adopted — its status, limit group and billing_user_id overwritten, single sign-on
// into it, deleted with the customer — only when it has no admin role and its billing_user_id is empty or
// the customer's own. Anything else is a conflict: billing changes nothing in SolusIO and says why.

/** SolusIO's built-in role is ADMIN (the emulator spells it Admin): compared case-insensitively. */
export function isAdminUser(user: SolusioUser): boolean {
  return (user.roles ?? []).some((r) => r.name.toLowerCase() === "admin");
}

/** Why billing may not adopt this user for customer `billingUserId`; undefined when it may. */
export function adoptionConflict(user: SolusioUser, billingUserId: number): string | undefined {
  if (isAdminUser(user)) return "has the admin role";
  if (user.billing_user_id !== null && user.billing_user_id !== billingUserId)
    return `is owned by billing_user_id ${user.billing_user_id}`;
  return undefined;
}

/** The user carries this customer's billing_user_id and is no admin: it may be logged into and deleted. */
export function isOwnedBy(user: SolusioUser, billingUserId: number): boolean {
  return user.billing_user_id === billingUserId && !isAdminUser(user);
}

/** A user billing must not adopt; the message names the user, the reason and the way out. */
export class AdoptionConflict extends Error {
  constructor(user: SolusioUser, reason: string) {
    const todo = isAdminUser(user)
      ? "Give the customer another e-mail address; editing the customer retries the sync (billing never " +
        "manages an admin account)."
      : "Give the customer another e-mail address (editing the customer retries the sync), or, if that user " +
        "really is this customer, release it in SolusIO by clearing its billing_user_id and retry the sync " +
        'with "tokenbill solusio reconcile --fix".';
    super(
      `conflict: SolusIO user ${user.id} (${user.email}) ${reason}, so billing will not take it over; ` +
        `nothing in SolusIO was changed. ${todo}`,
    );
    this.name = "AdoptionConflict";
  }
}

/**
 * More than one SolusIO user carries the customer's billing_user_id (a create was repeated): billing picks
 * none, since suspending or deleting one would leave the other running and billed.
 */
export class DuplicateUsersConflict extends Error {
  constructor(users: readonly SolusioUser[], billingUserId: number) {
    const named = users.map((u) => `${u.id} (${u.email})`).join(", ");
    super(
      `conflict: SolusIO users ${named} all carry billing_user_id ${billingUserId}, so billing will not ` +
        "pick one; nothing in SolusIO was changed. Keep the customer's user in SolusIO and delete the others " +
        "(or clear their billing_user_id), then retry the sync.",
    );
    this.name = "DuplicateUsersConflict";
  }
}

export function assertAdoptable(user: SolusioUser, billingUserId: number): void {
  const reason = adoptionConflict(user, billingUserId);
  if (reason !== undefined) throw new AdoptionConflict(user, reason);
}
