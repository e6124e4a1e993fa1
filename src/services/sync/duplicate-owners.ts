import type { ServiceContext } from "../../kernel/context.ts";
import type { SolusioUser } from "../../solusio/schemas.ts";
import { adoptionConflict } from "./adoption.ts";
import type { Drift } from "./reconcile.ts";

// Two or more SolusIO users that are, or after a sync would be, one customer's: a create repeated blindly,
// or someone in SolusIO gave another customer's user this customer's billing_user_id. Which one is the
// customer's is for a person to say: a sync would suspend, log into or delete one and leave the other
// running (the sync's DuplicateUsersConflict, adoption.ts), so reconcile reports it and --fix touches none.

/**
 * The users carrying the customer's billing_user_id, and the user it was paired with (its stored user, say)
 * if billing may adopt that one: a sync would write the id into it.
 */
export function ownersOf(
  user: SolusioUser | undefined,
  carriers: readonly SolusioUser[],
  customerId: number,
): SolusioUser[] {
  const owners = [...carriers];
  if (user && !owners.some((u) => u.id === user.id) && adoptionConflict(user, customerId) === undefined)
    owners.push(user);
  return owners;
}

/** The `conflict` naming every owner, which customer stores which, and what staff do about it. */
export async function duplicateOwnersDrift(
  ctx: ServiceContext,
  customerId: number,
  billing: unknown,
  owners: readonly SolusioUser[],
): Promise<Drift> {
  const storing = await ctx.db
    .selectFrom("customer")
    .select(["id", "solusio_user_id"])
    .where(
      "solusio_user_id",
      "in",
      owners.map((u) => BigInt(u.id)),
    )
    .execute();
  const storedBy = new Map(storing.map((c) => [Number(c.solusio_user_id), Number(c.id)]));
  const own = owners.find((u) => storedBy.get(u.id) === customerId);
  // The customer's own stored user first, the others in id order.
  const listed = [...owners].sort((x, y) => (x === own ? -1 : y === own ? 1 : x.id - y.id));
  const who = listed.flatMap((u) => {
    const by = storedBy.get(u.id);
    if (by === undefined) return [];
    return [
      by === customerId ? `user ${u.id} is this customer's stored user` : `user ${u.id} is customer ${by}'s`,
    ];
  });
  return {
    kind: "conflict",
    customer_id: customerId,
    solusio_user_id: own?.id ?? null,
    billing,
    solusio: {
      billing_user_id: customerId,
      users: listed.map((u) => ({
        id: u.id,
        email: u.email,
        stored_by_customer: storedBy.get(u.id) ?? null,
      })),
    },
    reason:
      `SolusIO users ${listed.map((u) => `${u.id} (${u.email})`).join(", ")} all carry billing_user_id ${customerId}` +
      `${who.length > 0 ? ` (${who.join(", ")})` : ""}, so billing will not pick one and --fix changes none of them.` +
      " Keep the customer's user; in SolusIO delete each other one, or clear its billing_user_id (or set it back" +
      " to its own customer's id), then run reconcile --fix.",
  };
}
