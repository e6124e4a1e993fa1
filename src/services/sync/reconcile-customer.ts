import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";
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
    .select(["id", "email", "status", "limit_group"])
    .where("id", "=", customerId)
    .executeTakeFirst();
  if (!customer) throw ServiceError.notFound(`customer ${customerId}`);
  const match = await findCustomerUser(deps.api, Number(customer.id), customer.email);
  return driftOfCustomer(ctx, customer, match, cachedLimitGroups(deps.limitGroupId));
}

/** The same order the whole reconcile and a sync look in: billing_user_id first, then the e-mail. */
async function findCustomerUser(api: SolusioApi, id: number, email: string): Promise<CustomerMatch> {
  const byId = await api.findUsersChecked({ billingUserId: id });
  // The last one, as the whole reconcile's map by billing_user_id keeps it (two carrying it is a conflict
  // a sync reports; reconcile compares with one of them).
  const carrying = byId.items.filter((u) => u.billing_user_id === id).at(-1);
  if (carrying) return { user: carrying, odd: undefined };
  const oddById = byId.unreadable.find((u) => mayHoldBillingId(u, id));
  if (oddById) return { user: undefined, odd: oddById };
  const byEmail = await api.findUsersChecked({ email });
  const user = byEmail.items.find((u) => u.email.toLowerCase() === email.toLowerCase());
  if (user) return { user, odd: undefined };
  return { user: undefined, odd: byEmail.unreadable.find((u) => mayHoldEmail(u, email)) };
}
