import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";
import { SolusioError } from "../../solusio/solusio-error.ts";
import { mayHoldBillingId, mayHoldEmail } from "../../solusio/unreadable-users.ts";
import { READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";
import { type CustomerMatch, cachedLimitGroups, type Drift, driftOfCustomer } from "./reconcile.ts";

/**
 * One customer's drift against SolusIO, as the whole reconcile would report it, from a look-up by its
 * billing_user_id (and, when no user carries it, by its e-mail) rather than a read of every SolusIO user:
 * the console's per-customer button. Reads only; any staff role.
 */
export async function reconcileCustomer(
  ctx: ServiceContext,
  deps: { api: SolusioApi; limitGroupId(name: string | null): Promise<number | undefined> },
  customerId: bigint,
): Promise<Drift[]> {
  await requireStaffRole(ctx, ...READ_ROLES);
  const customer = await ctx.db
    .selectFrom("customer")
    .select(["id", "email", "status", "limit_group", "solusio_user_id"])
    .where("id", "=", customerId)
    .executeTakeFirst();
  if (!customer) throw ServiceError.notFound(`customer ${customerId}`);
  const stored = customer.solusio_user_id === null ? undefined : Number(customer.solusio_user_id);
  const match = await findCustomerUser(deps.api, Number(customer.id), customer.email, stored);
  return driftOfCustomer(ctx, customer, match, cachedLimitGroups(deps.limitGroupId));
}

/**
 * The same order the whole reconcile and a sync look in: the stored user, then billing_user_id, then the
 * e-mail. The stored user is asked for alone only when it does not carry the billing_user_id.
 */
async function findCustomerUser(
  api: SolusioApi,
  id: number,
  email: string,
  storedId: number | undefined,
): Promise<CustomerMatch> {
  const byId = await api.findUsersChecked({ billingUserId: id });
  const carriers = byId.items.filter((u) => u.billing_user_id === id);
  if (storedId !== undefined) {
    const oddStored = byId.unreadable.find((u) => u.id === storedId);
    if (oddStored) return { user: undefined, odd: oddStored };
    const own = carriers.find((u) => u.id === storedId);
    const stored = own ? { user: own, odd: undefined } : await storedUser(api, storedId);
    if (stored.user || stored.odd) return { ...stored, carriers };
  }
  if (carriers[0]) return { user: carriers[0], odd: undefined, carriers };
  const oddById = byId.unreadable.find((u) => mayHoldBillingId(u, id));
  if (oddById) return { user: undefined, odd: oddById };
  const byEmail = await api.findUsersChecked({ email });
  const user = byEmail.items.find((u) => u.email.toLowerCase() === email.toLowerCase());
  if (user) return { user, odd: undefined };
  return { user: undefined, odd: byEmail.unreadable.find((u) => mayHoldEmail(u, email)) };
}

/** The stored user, none (gone from SolusIO), or, when SolusIO's answer cannot be read, why not. */
async function storedUser(api: SolusioApi, id: number): Promise<CustomerMatch> {
  try {
    return { user: await api.getUser(id), odd: undefined };
  } catch (error) {
    // A 2xx that does not match tokenbill's schema, as an unreadable user in a list is set apart.
    if (error instanceof SolusioError && error.status !== null && error.status < 300)
      return { user: undefined, odd: { id, raw: null, problem: error.message } };
    throw error;
  }
}
