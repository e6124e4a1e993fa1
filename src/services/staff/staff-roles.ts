import type { Actor } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { ApiKeyRole, StaffRole } from "../../db/schema.ts";

export type { StaffRole };

// Staff roles are checked in the verbs, not in the pages: a page that forgot a check still reaches a verb
// that refuses. How a verb uses it (docs/console.md):
//
//   export const voidInvoice = defineVerb(Input, async ({ ctx, input }) => {
//     await requireStaffRole(ctx, ...BILLING_ROLES);   // first line; operators' keys and the CLI pass
//     …
//   });
//
// - owner: everything, including staff accounts and owners;
// - admin: everything but making, changing or disabling owners;
// - billing: money (billing runs, invoices, payments, credit notes) and reading everything;
// - support: reading only.
//
// Admin API keys have a role too (admin, billing or support; docs/security.md), checked here alike.

export const STAFF_ROLES = ["owner", "admin", "billing", "support"] as const satisfies readonly StaffRole[];

/** Who may read anything in the console. */
export const READ_ROLES: readonly StaffRole[] = STAFF_ROLES;
/** Who may change money: billing runs, invoices, payments, refunds, credit notes. */
export const BILLING_ROLES: readonly StaffRole[] = ["owner", "admin", "billing"];
/** Who may change customers, pricing, SolusIO settings, API keys and (non-owner) staff. */
export const ADMIN_ROLES: readonly StaffRole[] = ["owner", "admin"];

/** How far each role reaches, for what a role may hand on (an API key of its own rank or below). */
export const ROLE_RANK: Readonly<Record<StaffRole, number>> = { support: 0, billing: 1, admin: 2, owner: 3 };

export interface StaffIdentity {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
}

/**
 * Whether a staff user of `role` passes a check of `roles`: the rule requireStaffRole applies (an owner
 * passes every check). The console's pages ask it to hide what the verb behind a button would refuse.
 */
export function roleMay(role: StaffRole | ApiKeyRole, roles: readonly StaffRole[]): boolean {
  return role === "owner" || roles.includes(role);
}

/**
 * Refuses (FORBIDDEN) an actor that may not do what the verb does. A staff actor must be an enabled user
 * with one of `roles` (an owner passes every check); it is read from the database on each call, so a
 * changed role or a disabled user takes effect at once, also for open sessions. An admin API key is checked
 * with its role (admin, billing or support) as a staff user of that role is; the other operators
 * (TOKENBILL_ADMIN_API_KEY, the CLI, system jobs) hold full authority and pass; customers, webhooks and
 * anonymous callers are refused. Returns the staff user, or undefined for the other operators.
 */
export async function requireStaffRole(
  ctx: Pick<ServiceContext, "db" | "actor">,
  ...roles: readonly StaffRole[]
): Promise<StaffIdentity | undefined> {
  const actor: Actor = ctx.actor;
  switch (actor.kind) {
    // A key's role came with the key's row in the access check (actor.ts says why it is not read again).
    // An admin key passes as keys always did: no owner-only act is reachable with a key.
    case "admin_key":
      if (!roleMay(actor.role, roles))
        throw new ServiceError("FORBIDDEN", `an API key of the ${actor.role} role may not do this`);
      return undefined;
    case "env_key":
    case "cli":
    case "system":
      return undefined;
    case "staff": {
      const user = await ctx.db
        .selectFrom("staff_user")
        .select(["id", "email", "name", "role", "disabled_at"])
        .where("id", "=", actor.userId)
        .executeTakeFirst();
      if (!user || user.disabled_at !== null)
        throw new ServiceError("UNAUTHORIZED", "this staff account no longer exists or is disabled");
      if (!roleMay(user.role, roles))
        throw new ServiceError("FORBIDDEN", `the ${user.role} role may not do this`);
      return { id: user.id, email: user.email, name: user.name, role: user.role };
    }
    default:
      throw new ServiceError("FORBIDDEN", "only staff may do this");
  }
}

/**
 * Whether the one acting, as requireStaffRole found it (`me`), may see where tokenbill's systems are: URLs,
 * hosts, SolusIO's admin account. An admin role (staff user or API key) or an operator with full authority
 * (TOKENBILL_ADMIN_API_KEY, the CLI, system jobs); a read-only role needs no map of the network for its work.
 */
export function seesWhereSystemsAre(
  ctx: Pick<ServiceContext, "actor">,
  me: StaffIdentity | undefined,
): boolean {
  // A key's role is the actor's: requireStaffRole returns no user for a key.
  const role = me?.role ?? (ctx.actor.kind === "admin_key" ? ctx.actor.role : undefined);
  return role === undefined || roleMay(role, ADMIN_ROLES);
}

/**
 * The check of a read verb that customers may call too: a customer passes (the verb scopes it to its own
 * rows with customerScope), a staff member needs a read role, the other operators pass.
 */
export async function requireReadAccess(ctx: Pick<ServiceContext, "db" | "actor">): Promise<void> {
  if (ctx.actor.kind !== "customer") await requireStaffRole(ctx, ...READ_ROLES);
}
